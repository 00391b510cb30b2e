"""SubmitFeedback and SubmitRatings against a real in-process server and a real MLflow server.

Every assertion reads what MLflow stored, not what the service answered.
"""

import concurrent.futures
import time
import uuid

import grpc
import pytest
from google.protobuf import struct_pb2
from google.rpc import error_details_pb2

from genaifeedback.v1 import chat_pb2, feedback_pb2
from support import assessments, chat, details, error_reason, finished_trace_id, metric, new_trace, violations

HUMAN, JUDGE, CODE = feedback_pb2.SOURCE_TYPE_HUMAN, feedback_pb2.SOURCE_TYPE_LLM_JUDGE, feedback_pb2.SOURCE_TYPE_CODE


def submit(service, **fields) -> feedback_pb2.SubmitFeedbackResponse:
    return service.feedback.SubmitFeedback(
        feedback_pb2.SubmitFeedbackRequest(wait_until_stored=True, **{"request_id": str(uuid.uuid4()), **fields}),
        timeout=30,
    )


def json_value(python) -> struct_pb2.Value:
    value = struct_pb2.Value()
    if isinstance(python, dict):
        value.struct_value.update(python)
    else:
        value.list_value.extend(python)
    return value


@pytest.mark.parametrize(
    ("value_field", "wire_value", "stored_value"),
    [
        ("bool_value", True, True),
        ("bool_value", False, False),
        ("number_value", 4.0, 4.0),
        ("number_value", 0.75, 0.75),
        ("string_value", "off_topic", "off_topic"),
        (
            "string_value",
            "Clear answer, but it missed the second question.",
            "Clear answer, but it missed the second question.",
        ),
        ("json_value", json_value({"tone": "friendly", "score": 3}), {"tone": "friendly", "score": 3.0}),
        ("json_value", json_value(["too_long", "no_sources"]), ["too_long", "no_sources"]),
    ],
)
def test_every_value_type_round_trips(service, mlflow_client, value_field, wire_value, stored_value):
    trace_id = new_trace(service)
    name = f"quality-{value_field}"  # a name without a schema keeps the kind of its first value
    response = submit(service, trace_id=trace_id, name=name, **{value_field: wire_value})
    assert response.trace_id == trace_id
    [stored] = assessments(mlflow_client, trace_id, name)
    assert stored.assessment_id == response.assessment_id
    assert stored.value == stored_value and type(stored.value) is type(stored_value)


@pytest.mark.parametrize(
    ("source_type", "stored_type"),
    [(feedback_pb2.SOURCE_TYPE_UNSPECIFIED, "HUMAN"), (HUMAN, "HUMAN"), (JUDGE, "LLM_JUDGE"), (CODE, "CODE")],
)
def test_sources_rationale_metadata_and_span_are_stored_exactly(service, mlflow_client, source_type, stored_type):
    trace_id = new_trace(service)
    root_span_id = mlflow_client.get_trace(trace_id).data.spans[0].span_id
    submit(
        service,
        trace_id=trace_id,
        span_id=root_span_id,
        bool_value=False,
        source=feedback_pb2.FeedbackSource(type=source_type, id="judge-or-user-42"),
        rationale="It invented a citation.",
        metadata={"app_version": "1.2.3", "screen": "chat"},
    )
    [stored] = assessments(mlflow_client, trace_id, "user_feedback")
    assert stored.source.source_type == stored_type
    assert stored.source.source_id == "judge-or-user-42"
    assert stored.rationale == "It invented a citation."
    assert stored.metadata == {
        "app_version": "1.2.3",
        "screen": "chat",
        "genaifeedback.schema": "user_feedback",
        "genaifeedback.schema_version": "1",
    }
    assert stored.span_id == root_span_id
    assert stored.value is False


def test_feedback_by_client_request_id(service, other_replica, mlflow_client):
    request_id = f"checkout/{uuid.uuid4()} with spaces, \\ and ünïcode"
    trace_id = new_trace(service, client_request_id=request_id)
    mine = submit(service, client_request_id=request_id, bool_value=True, name="from_same_replica")
    theirs = submit(other_replica, client_request_id=request_id, bool_value=True, name="from_other_replica")
    assert mine.trace_id == theirs.trace_id == trace_id
    names = {a.name for a in assessments(mlflow_client, trace_id)}
    assert {"from_same_replica", "from_other_replica"} <= names


def test_feedback_on_a_trace_logged_with_mlflows_own_sdk_by_its_client_request_id(
    service, mlflow_server, mlflow_client
):
    """Traces other applications log with mlflow-tracing take feedback through the service too."""
    import mlflow

    client_request_id = f"sdk-{uuid.uuid4()}"
    mlflow.set_tracking_uri(mlflow_server.url)  # this test's own choice, not a side effect of the service's
    mlflow.set_experiment(service.settings.experiment_name)
    with mlflow.start_span(name="other_app") as span:
        mlflow.update_current_trace(client_request_id=client_request_id)
        span.set_inputs({"question": "from another app"})
    mlflow.flush_trace_async_logging()
    reply = submit(service, client_request_id=client_request_id, name="user_rating", number_value=3)
    assert reply.trace_id == span.trace_id
    [stored] = assessments(mlflow_client, span.trace_id)
    assert stored.value == 3


@pytest.mark.slow  # a long scenario: many chats, each rated at its final event
def test_feedback_right_after_the_final_event_always_lands(service, other_replica, mlflow_client):
    """The guide's bug: feedback sent as soon as the stream ends fails. Here it never may."""
    sent = {}
    for round_number in range(24):
        client_request_id = f"immediate-{uuid.uuid4()}"
        call = service.chat.Chat(
            chat_pb2.ChatRequest(message=f"question {round_number}", client_request_id=client_request_id), timeout=30
        )
        for event in call:
            if event.WhichOneof("event") == "finished":
                trace_id = event.finished.trace_id
                # Whichever replica gets it, by either kind of target.
                replica = (service, other_replica)[round_number % 2]
                target = {"trace_id": trace_id} if round_number % 4 < 2 else {"client_request_id": client_request_id}
                reply = submit(replica, bool_value=True, **target)
                assert reply.trace_id == trace_id
                sent[trace_id] = reply.assessment_id
    for trace_id, assessment_id in sent.items():
        assert [a.assessment_id for a in assessments(mlflow_client, trace_id, "user_feedback")] == [assessment_id]


def test_feedback_while_the_chat_is_still_streaming_waits_for_the_trace(start_service, mlflow_client):
    import scripted_generators

    scripted_generators.gate.clear()
    replica = start_service(generator="callable", callable="scripted_generators:gated")
    call = replica.chat.Chat(chat_pb2.ChatRequest(message="held open"), timeout=30)
    trace_id = next(call).started.trace_id
    assert next(call).token.text == "first chunk"  # the stream is open, and stays so until the gate opens
    request = feedback_pb2.SubmitFeedbackRequest(trace_id=trace_id, bool_value=True, request_id="while-open")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        # Acknowledged while the chat is still generating, and held: its trace does not exist yet.
        assert replica.feedback.SubmitFeedback(request, timeout=10).state == feedback_pb2.FEEDBACK_STATE_PENDING
        request.wait_until_stored = True
        waiting = pool.submit(replica.feedback.SubmitFeedback, request, timeout=30)
        status = feedback_pb2.GetFeedbackStatusRequest(trace_id=trace_id, request_id="while-open")
        assert replica.feedback.GetFeedbackStatus(status, timeout=10).state == feedback_pb2.FEEDBACK_STATE_PENDING
        assert not waiting.done()
        scripted_generators.gate.set()
        assert list(call)[-1].finished.trace_id == trace_id
        response = waiting.result(30)
    assert response.state == feedback_pb2.FEEDBACK_STATE_STORED
    [stored] = assessments(mlflow_client, trace_id)
    assert stored.assessment_id == response.assessment_id


def test_retries_with_the_same_request_id_record_one_assessment(service, mlflow_client):
    trace_id = new_trace(service)
    request = dict(
        trace_id=trace_id, name="user_rating", number_value=5, request_id=str(uuid.uuid4()), rationale="great"
    )
    first = submit(service, **request)
    again = submit(service, **request)
    assert again.assessment_id == first.assessment_id
    assert len(assessments(mlflow_client, trace_id)) == 1


def test_concurrent_duplicate_deliveries_record_one_assessment(service, other_replica, mlflow_client):
    trace_id = new_trace(service)
    request = dict(trace_id=trace_id, bool_value=True, request_id=str(uuid.uuid4()))
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda i: submit((service, other_replica)[i % 2], **request), range(8)))
    assert len({r.assessment_id for r in replies}) == 1
    [stored] = assessments(mlflow_client, trace_id)
    assert stored.assessment_id == replies[0].assessment_id


def test_a_reused_request_id_with_different_feedback_is_already_exists(service, mlflow_client):
    trace_id = new_trace(service)
    request_id = str(uuid.uuid4())
    submit(service, trace_id=trace_id, bool_value=True, request_id=request_id)
    with pytest.raises(grpc.RpcError) as failure:
        submit(service, trace_id=trace_id, bool_value=False, request_id=request_id)
    assert failure.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error_reason(failure.value) == "REQUEST_ID_REUSED"
    [stored] = assessments(mlflow_client, trace_id)
    assert stored.value is True


@pytest.mark.parametrize("rater", ["", "user-1"])  # anonymous, or a vote in a rater's chain
def test_a_request_id_reused_on_a_replica_with_a_stale_view_of_the_trace_is_already_exists(
    service, other_replica, mlflow_client, rater
):
    """The other replica writes from the trace's feedback as it last read it, which lacks the first
    action: MLflow refuses the duplicate id, and reading that assessment back shows another action."""
    trace_id = new_trace(service)
    earlier = submit(other_replica, trace_id=trace_id, bool_value=True)  # the other replica reads the trace now
    request_id = str(uuid.uuid4())
    source = feedback_pb2.FeedbackSource(type=feedback_pb2.SOURCE_TYPE_HUMAN, id=rater)
    first = submit(service, trace_id=trace_id, bool_value=True, request_id=request_id, source=source)
    with pytest.raises(grpc.RpcError) as failure:
        submit(other_replica, trace_id=trace_id, bool_value=False, request_id=request_id, source=source)
    assert failure.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error_reason(failure.value) == "REQUEST_ID_REUSED"
    stored = {a.assessment_id: a.value for a in assessments(mlflow_client, trace_id)}
    assert stored == {earlier.assessment_id: True, first.assessment_id: True}


@pytest.mark.parametrize(
    "other_action",
    [
        {"name": "another_name", "bool_value": True},
        {"bool_value": True, "rationale": "now with a comment"},
        {"bool_value": True, "source": feedback_pb2.FeedbackSource(type=JUDGE)},
    ],
)
def test_a_request_id_names_one_action_on_a_trace_whatever_else_changes(service, mlflow_client, other_action):
    trace_id = new_trace(service)
    request_id = str(uuid.uuid4())
    first = submit(service, trace_id=trace_id, bool_value=True, request_id=request_id)
    with pytest.raises(grpc.RpcError) as failure:
        submit(service, trace_id=trace_id, request_id=request_id, **other_action)
    assert failure.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error_reason(failure.value) == "REQUEST_ID_REUSED"
    [stored] = assessments(mlflow_client, trace_id)
    assert stored.assessment_id == first.assessment_id and stored.name == "user_feedback"


def test_a_ratings_request_id_reused_for_other_ratings_or_a_feedback_is_already_exists(service, mlflow_client):
    trace_id = new_trace(service)
    request_id = str(uuid.uuid4())
    ratings = [
        feedback_pb2.DimensionRating(name="accuracy", score=4),
        feedback_pb2.DimensionRating(name="tone", score=2),
    ]
    first = service.feedback.SubmitRatings(
        feedback_pb2.SubmitRatingsRequest(
            wait_until_stored=True, trace_id=trace_id, ratings=ratings, request_id=request_id
        ),
        timeout=30,
    )
    retry_in_another_order = service.feedback.SubmitRatings(
        feedback_pb2.SubmitRatingsRequest(
            wait_until_stored=True, trace_id=trace_id, ratings=ratings[::-1], request_id=request_id
        ),
        timeout=30,
    )
    assert retry_in_another_order.assessment_ids == first.assessment_ids
    changed = [feedback_pb2.DimensionRating(name="accuracy", score=5), ratings[1]]
    for call in (
        lambda: service.feedback.SubmitRatings(
            feedback_pb2.SubmitRatingsRequest(
                wait_until_stored=True, trace_id=trace_id, ratings=changed, request_id=request_id
            ),
            timeout=30,
        ),
        lambda: submit(service, trace_id=trace_id, name="accuracy", number_value=3, request_id=request_id),
    ):
        with pytest.raises(grpc.RpcError) as failure:
            call()
        assert error_reason(failure.value) == "REQUEST_ID_REUSED"
    assert sorted((a.name, a.value) for a in assessments(mlflow_client, trace_id)) == [("accuracy", 4), ("tone", 2)]


def test_status_of_feedback_another_replica_stored_is_read_from_mlflow(service, other_replica, mlflow_client):
    """Status is local to a replica's journal, but stored feedback is in MLflow for every replica to see."""
    trace_id = new_trace(service)
    reply = submit(service, trace_id=trace_id, bool_value=True, request_id="asked-elsewhere")
    [stored] = assessments(mlflow_client, trace_id)
    asked = feedback_pb2.GetFeedbackStatusRequest(trace_id=trace_id, request_id="asked-elsewhere")
    status = other_replica.feedback.GetFeedbackStatus(asked, timeout=10)
    assert status.state == feedback_pb2.FEEDBACK_STATE_STORED and status.trace_id == trace_id
    assert dict(status.assessment_ids) == {stored.name: stored.assessment_id} == {"user_feedback": reply.assessment_id}
    never_sent = feedback_pb2.GetFeedbackStatusRequest(trace_id=trace_id, request_id="never-sent")
    with pytest.raises(grpc.RpcError) as unknown:
        other_replica.feedback.GetFeedbackStatus(never_sent, timeout=10)
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND


def test_without_request_id_every_call_is_a_new_assessment(service, mlflow_client):
    trace_id = new_trace(service)
    submit(service, trace_id=trace_id, name="user_comment", string_value="first comment")
    submit(service, trace_id=trace_id, name="user_comment", string_value="second comment")
    assert sorted(a.value for a in assessments(mlflow_client, trace_id)) == ["first comment", "second comment"]


def test_multi_dimensional_ratings_one_assessment_per_dimension(service, mlflow_client):
    trace_id = new_trace(service, client_request_id=f"rate-{uuid.uuid4()}")
    request = feedback_pb2.SubmitRatingsRequest(
        wait_until_stored=True,
        trace_id=trace_id,
        ratings=[
            feedback_pb2.DimensionRating(name="accuracy", score=4),
            feedback_pb2.DimensionRating(name="helpfulness", score=5),
            feedback_pb2.DimensionRating(name="relevance", score=2),
        ],
        source=feedback_pb2.FeedbackSource(id="user-9"),
        rationale="Accurate but partly off topic.",
        request_id=str(uuid.uuid4()),
    )
    response = service.feedback.SubmitRatings(request, timeout=30)
    again = service.feedback.SubmitRatings(request, timeout=30)
    assert again.assessment_ids == response.assessment_ids
    stored = {a.name: a for a in assessments(mlflow_client, trace_id)}
    assert {name: a.value for name, a in stored.items()} == {"accuracy": 4, "helpfulness": 5, "relevance": 2}
    assert {name: a.assessment_id for name, a in stored.items()} == dict(response.assessment_ids)
    assert all(a.rationale == "Accurate but partly off topic." for a in stored.values())
    assert all(a.source.source_type == "HUMAN" and a.source.source_id == "user-9" for a in stored.values())


@pytest.fixture(scope="module")
def target_trace(service):
    """One trace that every bad request below aims at; it must stay without assessments."""
    return new_trace(service)


def _bad_feedback_cases():
    ok = {"bool_value": True}
    return [
        ({**ok, "trace_id": None}, "target"),
        ({**ok, "trace_id": "tr-123"}, "trace_id"),
        ({**ok, "trace_id": "TR-" + "A" * 32}, "trace_id"),
        ({**ok, "client_request_id": ""}, "client_request_id"),
        ({**ok, "client_request_id": "c" * 129}, "client_request_id"),
        ({**ok, "client_request_id": "it's"}, "client_request_id"),
        ({**ok, "client_request_id": "line\nbreak"}, "client_request_id"),
        ({**ok, "name": "user.feedback"}, "name"),
        ({**ok, "name": "1st"}, "name"),
        ({**ok, "name": "x" * 65}, "name"),
        ({}, "value"),
        ({"number_value": float("nan")}, "number_value"),
        ({"number_value": float("inf")}, "number_value"),
        ({"string_value": ""}, "string_value"),
        ({"string_value": "s" * (8 * 1024 + 1)}, "string_value"),
        ({"json_value": struct_pb2.Value(null_value=0)}, "json_value"),
        ({"json_value": struct_pb2.Value()}, "json_value"),
        ({"json_value": struct_pb2.Value(string_value="x" * (64 * 1024 + 1))}, "json_value"),
        ({**ok, "source": feedback_pb2.FeedbackSource(type=99)}, "source.type"),
        ({**ok, "source": feedback_pb2.FeedbackSource(id="i" * 251)}, "source.id"),
        ({**ok, "rationale": "r" * (16 * 1024 + 1)}, "rationale"),
        ({**ok, "metadata": {f"k{i}": "v" for i in range(21)}}, "metadata"),
        ({**ok, "metadata": {"mlflow.reserved": "v"}}, 'metadata["mlflow.reserved"]'),
        ({**ok, "metadata": {"big": "v" * 1025}}, 'metadata["big"]'),
        ({**ok, "span_id": "not-a-span"}, "span_id"),
        ({**ok, "request_id": "q" * 129}, "request_id"),
    ]


@pytest.mark.parametrize(("fields", "bad_field"), _bad_feedback_cases())
def test_bad_feedback_is_invalid_argument_and_writes_nothing(service, mlflow_client, target_trace, fields, bad_field):
    fields = dict(fields)
    if "client_request_id" not in fields:
        fields["trace_id"] = fields.get("trace_id", target_trace)
    fields = {k: v for k, v in fields.items() if v is not None}
    with pytest.raises(grpc.RpcError) as failure:
        submit(service, **fields)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_field in violations(failure.value), failure.value.details()
    assert assessments(mlflow_client, target_trace) == []


def test_all_violations_are_reported_at_once(service):
    with pytest.raises(grpc.RpcError) as failure:
        submit(service, name="a.b", number_value=float("nan"), span_id="zz")
    assert {"target", "name", "number_value", "span_id"} <= set(violations(failure.value))


@pytest.mark.parametrize(
    ("ratings", "bad_field"),
    [
        ([], "ratings"),
        ([("accuracy", 4), ("helpfulness", 6)], "ratings[1].score"),
        ([("accuracy", 0)], "ratings[0].score"),
        ([("accuracy", 4), ("accuracy", 5)], "ratings[1].name"),
        ([("", 3)], "ratings[0].name"),
        ([("user.accuracy", 3)], "ratings[0].name"),
        ([(f"d{i}", 3) for i in range(21)], "ratings"),
    ],
)
def test_bad_ratings_reject_every_dimension(service, mlflow_client, target_trace, ratings, bad_field):
    request = feedback_pb2.SubmitRatingsRequest(
        wait_until_stored=True,
        trace_id=target_trace,
        ratings=[feedback_pb2.DimensionRating(name=n, score=s) for n, s in ratings],
    )
    with pytest.raises(grpc.RpcError) as failure:
        service.feedback.SubmitRatings(request, timeout=30)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_field in violations(failure.value)
    assert assessments(mlflow_client, target_trace) == []


def test_unknown_trace_id_is_not_found(service):
    with pytest.raises(grpc.RpcError) as failure:
        submit(service, trace_id="tr-" + "0" * 32, bool_value=True)
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND
    assert error_reason(failure.value) == "TRACE_NOT_FOUND"
    assert details(failure.value, error_details_pb2.ErrorInfo).metadata["trace_id"] == "tr-" + "0" * 32
    assert details(failure.value, error_details_pb2.ResourceInfo).resource_name == "tr-" + "0" * 32


@pytest.mark.slow  # a long scenario: the attach window waited out
@pytest.mark.parametrize("target", ["trace_id", "client_request_id"])
def test_feedback_for_a_trace_that_may_still_arrive_is_pending_then_expires_after_the_window(start_service, target):
    """A recent-looking trace id (or any client request id) that no one knows yet: acknowledged as
    PENDING (another replica may still be exporting it), EXPIRED once the attach window is over."""
    from genaifeedback.service.domain.ids import new_trace_id

    window = 1.5
    replica = start_service(feedback_attach_window_seconds=window)
    fields = {target: new_trace_id() if target == "trace_id" else f"never-used-{uuid.uuid4()}"}
    request = feedback_pb2.SubmitFeedbackRequest(bool_value=True, request_id="r-1", **fields)
    sent = time.monotonic()
    first = replica.feedback.SubmitFeedback(request, timeout=30)
    assert first.state == feedback_pb2.FEEDBACK_STATE_PENDING
    status_request = feedback_pb2.GetFeedbackStatusRequest(request_id="r-1", **fields)
    assert replica.feedback.GetFeedbackStatus(status_request, timeout=5).state == feedback_pb2.FEEDBACK_STATE_PENDING

    request.wait_until_stored = True  # the same action again, now waiting for its outcome
    with pytest.raises(grpc.RpcError) as failure:
        replica.feedback.SubmitFeedback(request, timeout=30)
    assert time.monotonic() - sent >= window
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND
    assert error_reason(failure.value) == "TRACE_NOT_FOUND"
    status = replica.feedback.GetFeedbackStatus(status_request, timeout=5)
    assert status.state == feedback_pb2.FEEDBACK_STATE_EXPIRED and status.reason == "TRACE_NOT_FOUND"
    assert metric(replica, "genaifeedback_feedback_settled_total", state="EXPIRED") == 1


@pytest.mark.slow  # a long scenario: the retention waited out
def test_a_settled_status_is_kept_for_the_retention_then_forgotten(start_service, tmp_path):
    """GetFeedbackStatus answers from the journal for feedback_status_retention_hours; older settled
    units are forgotten (a replica prunes when it starts, then every minute)."""
    from genaifeedback.service.domain.ids import new_trace_id

    journal = tmp_path / "journal"
    replica = start_service(data_dir=journal, feedback_attach_window_seconds=0.5)
    trace_id = new_trace_id()  # one of ours, recent: pending until the window is over, then EXPIRED
    with pytest.raises(grpc.RpcError) as expired:
        submit(replica, trace_id=trace_id, bool_value=True, request_id="old")
    assert error_reason(expired.value) == "TRACE_NOT_FOUND"
    status = feedback_pb2.GetFeedbackStatusRequest(trace_id=trace_id, request_id="old")
    replica.stop()

    def restarted(retention_hours: float):
        again = start_service(data_dir=journal, feedback_status_retention_hours=retention_hours)
        # A stored feedback needs an attach round, and each round is preceded by the pruning pass.
        submit(again, trace_id=new_trace(again), bool_value=True)
        return again

    kept = restarted(retention_hours=24)
    assert kept.feedback.GetFeedbackStatus(status, timeout=5).state == feedback_pb2.FEEDBACK_STATE_EXPIRED
    kept.stop()
    forgotten = restarted(retention_hours=1e-9)
    with pytest.raises(grpc.RpcError) as unknown:
        forgotten.feedback.GetFeedbackStatus(status, timeout=5)
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_mistyped_client_request_id_neither_fires_the_age_alert_nor_holds_up_shutdown(
    start_service, mlflow_client, tmp_path
):
    """Issue 19, item 8: feedback for a client_request_id no trace has stays PENDING for the attach
    window, but nothing is stuck: the oldest-unconfirmed-age gauge leaves it out, and shutdown
    does not wait for it (it stays journaled, PENDING, for the next start)."""
    journal = tmp_path / "journal"
    # A shutdown that waited for the unit would take the whole flush: grace + MLflow timeout (62 s).
    replica = start_service(data_dir=journal, feedback_attach_window_seconds=600, mlflow_request_timeout_seconds=60)
    typo = feedback_pb2.SubmitFeedbackRequest(
        client_request_id=f"typo-{uuid.uuid4()}", bool_value=True, request_id=str(uuid.uuid4())
    )
    pending = replica.feedback.SubmitFeedback(typo, timeout=30)
    assert pending.state == feedback_pb2.FEEDBACK_STATE_PENDING
    trace_id = new_trace(replica)
    stored = submit(replica, trace_id=trace_id, bool_value=False)
    assert [a.assessment_id for a in assessments(mlflow_client, trace_id)] == [stored.assessment_id]
    assert metric(replica, "genaifeedback_journal_oldest_age_seconds") == 0.0
    assert metric(replica, "genaifeedback_feedback_pending") == 1
    started = time.monotonic()
    replica.stop()
    assert time.monotonic() - started < 30
    again = start_service(data_dir=journal)
    status = feedback_pb2.GetFeedbackStatusRequest(
        client_request_id=typo.client_request_id, assessment_id=pending.assessment_id
    )
    assert again.feedback.GetFeedbackStatus(status, timeout=10).state == feedback_pb2.FEEDBACK_STATE_PENDING


def test_an_old_or_foreign_unknown_trace_id_is_not_found_at_once(service):
    with pytest.raises(grpc.RpcError) as failure:
        submit(service, trace_id="tr-" + "0" * 32, bool_value=True)
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND


def test_during_an_mlflow_outage_feedback_and_chats_are_acknowledged_and_land_afterwards(start_service, private_mlflow):
    """MLflow down: feedback is journaled and acknowledged (PENDING), chats finish (their traces
    journaled); once MLflow is back, everything lands, exactly once."""
    import mlflow as mlflow_sdk
    from mlflow.tracing.client import TracingClient

    mlflow = private_mlflow
    replica = start_service(mlflow_tracking_uri=mlflow.url, experiment_name="outage")
    stored_before = new_trace(replica)
    # A trace another app logged with MLflow's SDK: its id tells nothing, so the replica must ask MLflow.
    session_uri = mlflow_sdk.get_tracking_uri()
    mlflow_sdk.set_tracking_uri(mlflow.url)
    mlflow_sdk.set_experiment(replica.settings.experiment_name)
    with mlflow_sdk.start_span(name="other_app") as span:
        span.set_inputs({"question": "from another app"})
    mlflow_sdk.flush_trace_async_logging()
    mlflow_sdk.set_tracking_uri(session_uri)
    mlflow.stop()

    on_stored = feedback_pb2.SubmitFeedbackRequest(trace_id=stored_before, bool_value=True, request_id="outage-1")
    assert replica.feedback.SubmitFeedback(on_stored, timeout=5).state == feedback_pb2.FEEDBACK_STATE_PENDING
    during = finished_trace_id(chat(replica, message="asked during the outage"))
    on_during = feedback_pb2.SubmitFeedbackRequest(trace_id=during, number_value=4, name="score", request_id="outage-2")
    assert replica.feedback.SubmitFeedback(on_during, timeout=5).state == feedback_pb2.FEEDBACK_STATE_PENDING
    on_foreign = feedback_pb2.SubmitFeedbackRequest(trace_id=span.trace_id, bool_value=False, request_id="outage-3")
    assert replica.feedback.SubmitFeedback(on_foreign, timeout=5).state == feedback_pb2.FEEDBACK_STATE_PENDING

    mlflow.start()  # same port, same data
    replica.wait_stored(during, timeout=60)
    for request in (on_stored, on_during, on_foreign):  # the same actions again, waiting for MLflow this time
        request.wait_until_stored = True
        assert replica.feedback.SubmitFeedback(request, timeout=60).state == feedback_pb2.FEEDBACK_STATE_STORED
    client = TracingClient(mlflow.url)
    assert client.get_trace_info(during).state.value == "OK"
    assert [a.value for a in client.get_trace_info(stored_before).assessments] == [True]
    assert [a.value for a in client.get_trace_info(during).assessments] == [4]
    assert [a.value for a in client.get_trace_info(span.trace_id).assessments] == [False]
    replica.stop()
    mlflow.stop()
