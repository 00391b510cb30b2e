"""Unit tests of the feedback layer's retry decisions, with a scripted stand-in for the store.

(The service tests cover the same paths end to end against a real MLflow server; these pin the
cases a real server cannot be made to produce on demand, such as a dropped connection.)
"""

import asyncio

import pytest
from mlflow.entities import AssessmentSource, Feedback

from genaifeedback.service.errors import MlflowUnavailable, RequestIdReused
from genaifeedback.service.feedback import FeedbackInput, FeedbackRecorder, Target

TRACE = "tr-" + "0" * 32


class ScriptedStore:
    def __init__(self, create_outcomes, stored=None, read_fails=False):
        self.create_outcomes = list(create_outcomes)  # None = success, or an exception to raise
        self.stored = stored
        self.read_fails = read_fails
        self.creates = []

    async def create_feedback(self, write):
        self.creates.append(write.assessment_id)
        outcome = self.create_outcomes.pop(0)
        if outcome is not None:
            raise outcome

    async def get_feedback(self, trace_id, assessment_id):
        if self.read_fails:
            raise MlflowUnavailable("MLflow is unreachable")
        return self.stored


class NoExports:
    def trace_id_for(self, client_request_id):
        return None

    async def wait_stored(self, trace_id, timeout_seconds, chat_timeout_seconds):
        return None


def record(store, feedback=FeedbackInput(name="user_feedback", value=True, request_id="r-1")):
    recorder = FeedbackRecorder(store, NoExports(), trace_arrival_timeout_seconds=0, max_chat_seconds=1)
    return asyncio.run(recorder.submit(Target(trace_id=TRACE), feedback, deadline=None))


def test_a_dropped_connection_is_retried_with_the_same_assessment_id():
    store = ScriptedStore([MlflowUnavailable("ReadError"), None])
    _, assessment_id = record(store)
    assert store.creates == [assessment_id, assessment_id]


def test_mlflow_down_is_unavailable_without_retrying():
    store = ScriptedStore([MlflowUnavailable("connect refused")], read_fails=True)
    with pytest.raises(MlflowUnavailable):
        record(store)
    assert len(store.creates) == 1


def test_persistent_failures_give_up_after_a_few_tries():
    store = ScriptedStore([MlflowUnavailable("HTTP 500")] * 3)
    with pytest.raises(MlflowUnavailable):
        record(store)
    assert len(store.creates) == 3


def test_a_retry_of_stored_feedback_is_answered_with_its_id_but_different_feedback_is_refused():
    same = Feedback(name="user_feedback", value=True, source=AssessmentSource(source_type="HUMAN"))
    assert record(ScriptedStore([MlflowUnavailable("duplicate id")], stored=same))[0] == TRACE
    different = Feedback(name="user_feedback", value=False, source=AssessmentSource(source_type="HUMAN"))
    with pytest.raises(RequestIdReused):
        record(ScriptedStore([MlflowUnavailable("duplicate id")], stored=different))
