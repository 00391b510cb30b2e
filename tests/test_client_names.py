"""The Python client's method names: the same rule as the Go, Java and Node clients.

A method that makes one RPC is named after it in the language's case (SubmitFeedback:
submit_feedback, Go SubmitFeedback, Java and Node submitFeedback); conveniences share their names
across the four (thumbs_up, thumbs_down, delete_all_feedback). The names before 0.1.0 stay as
deprecated aliases until 0.3.0: each warns, then does exactly what its new name does, against the
real service and MLflow.
"""

import re
import uuid

import pytest

from genaifeedback.client import FeedbackClient, FeedbackState
from genaifeedback.v1 import analytics_pb2, chat_pb2, feedback_pb2
from support import assessments

RENAMED = {
    "complete": "complete_chat",
    "feedback": "submit_feedback",
    "rate_dimensions": "submit_ratings",
    "feedback_status": "get_feedback_status",
    "list_schemas": "list_feedback_schemas",
    "correct": "correct_feedback",
    "erase_source": "erase_feedback_by_source",
    "summary": "get_feedback_summary",
    "export": "export_feedback",
}
# A live feed has no wrapper yet: the stub (genaifeedback.v1) serves it.
NOT_WRAPPED = {"WatchFeedback"}


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_every_rpc_has_a_method_named_after_it():
    rpcs = [
        method.name
        for module in (chat_pb2, feedback_pb2, analytics_pb2)
        for service in module.DESCRIPTOR.services_by_name.values()
        for method in service.methods
    ]
    missing = [rpc for rpc in rpcs if rpc not in NOT_WRAPPED and not hasattr(FeedbackClient, snake(rpc))]
    assert not missing
    assert set(RENAMED.values()) <= {snake(rpc) for rpc in rpcs}


@pytest.mark.parametrize(("old", "new"), RENAMED.items())
def test_each_old_name_is_a_deprecated_alias(old, new):
    alias = getattr(FeedbackClient, old)
    assert alias.__name__ == old
    assert f":meth:`{new}`" in alias.__doc__


@pytest.fixture(scope="module")
def client(service):
    with FeedbackClient(service.target) as client:
        yield client


def test_old_and_new_names_both_work(client, service, mlflow_client):
    def deprecated(new: str):
        return pytest.warns(DeprecationWarning, match=f"use {new}$")

    with deprecated("complete_chat"):
        old_chat = client.complete("What is MLflow?")
    new_chat = client.complete_chat("What is MLflow?")
    assert old_chat.text == new_chat.text
    trace_id = old_chat.trace_id
    service.wait_stored(trace_id)

    with deprecated("submit_feedback"):
        old = client.feedback(trace_id=trace_id, name="alias_old", value=True, wait_until_stored=True)
    new = client.submit_feedback(trace_id=trace_id, name="alias_new", value=True, wait_until_stored=True)
    assert old.state == new.state == FeedbackState.STORED
    with deprecated("submit_ratings"):
        rated = client.rate_dimensions(trace_id=trace_id, ratings={"accuracy": 3}, wait_until_stored=True)
    assert rated.state == client.submit_ratings(trace_id=trace_id, ratings={"tone": 4}, wait_until_stored=True).state
    assert {a.name for a in assessments(mlflow_client, trace_id)} >= {"alias_old", "alias_new", "accuracy", "tone"}

    with deprecated("get_feedback_status"):
        status = client.feedback_status(trace_id=trace_id, request_id=old.request_id)
    assert status == client.get_feedback_status(trace_id=trace_id, request_id=old.request_id)
    assert status.state == FeedbackState.STORED
    with deprecated("list_feedback_schemas"):
        assert client.list_schemas() == client.list_feedback_schemas()

    with deprecated("correct_feedback"):
        fixed = client.correct(old.assessment_id, False, trace_id=trace_id, rationale="r", source_id="expert-1")
    again = client.correct_feedback(new.assessment_id, False, trace_id=trace_id, rationale="r", source_id="expert-1")
    assert fixed.state == again.state

    nobody = f"nobody-{uuid.uuid4()}"
    with deprecated("erase_feedback_by_source"):
        assert client.erase_source(nobody).feedback_deleted == 0
    assert client.erase_feedback_by_source(nobody).feedback_deleted == 0

    with deprecated("get_feedback_summary"):
        summary = client.summary()
    assert type(summary) is type(client.get_feedback_summary())
    with deprecated("export_feedback"):
        exported = {message.trace.trace_id for message in client.export()}
    assert trace_id in exported
    assert trace_id in {message.trace.trace_id for message in client.export_feedback()}

    deleted = client.delete_all_feedback(trace_id=trace_id)
    assert set(deleted.deleted_assessment_ids) >= {old.assessment_id, new.assessment_id}
