"""wait_until_stored and deadlines: a waiting call answers PENDING before any caller's deadline,
and no call waits unbounded (issue: a bare DEADLINE_EXCEEDED at ~28.5 s with the Python client's
defaults, because gRPC Python does not send a service config's timeout to the server).

The trace ids are minted now by the service's own scheme and never chatted, so the service keeps
the feedback PENDING (a chat elsewhere may still be exporting it): nothing can settle the wait early.
"""

import time
import uuid

import grpc
import pytest

from genaifeedback.client import FeedbackClient, FeedbackState, channel_options
from genaifeedback.service.domain import ids
from genaifeedback.v1 import feedback_pb2, feedback_pb2_grpc

# Waits of up to the shipped 30 s deadline: scenarios of seconds.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def patient_replica(start_service):
    """A replica whose cap for deadline-less waits is far above the shipped 30 s timeout."""
    return start_service(max_wait_until_stored_seconds=600.0)


@pytest.fixture(scope="module")
def capped_replica(start_service):
    return start_service(max_wait_until_stored_seconds=2.0)


def test_the_python_client_defaults_hear_pending_before_the_shipped_deadline(patient_replica):
    # The client sends the shipped service config's 30 s as the call's deadline, so the service
    # answers PENDING a margin before it (the patient replica's own cap would wait 600 s).
    with FeedbackClient(patient_replica.target) as client:
        result = client.thumbs_up(trace_id=ids.new_trace_id(), wait_until_stored=True, request_id=str(uuid.uuid4()))
    assert result.state == FeedbackState.PENDING


def test_a_call_without_a_deadline_waits_only_the_services_cap(capped_replica):
    # A raw channel and no timeout (grpcurl without -max-time does the same): the service's own
    # cap (2 s here) ends the wait, never the attach window.
    with grpc.insecure_channel(capped_replica.target, options=channel_options()) as channel:
        stub = feedback_pb2_grpc.FeedbackServiceStub(channel)
        started = time.monotonic()
        response = stub.SubmitFeedback(
            feedback_pb2.SubmitFeedbackRequest(
                trace_id=ids.new_trace_id(), bool_value=True, wait_until_stored=True, request_id=str(uuid.uuid4())
            )
        )
    assert response.state == feedback_pb2.FEEDBACK_STATE_PENDING
    assert time.monotonic() - started < 600  # the cap, not the attach window (600 s) ended it


@pytest.mark.parametrize("timeout", [0.5, 1.0, 3.0])
def test_an_explicit_deadline_is_answered_pending_not_exceeded(patient_replica, timeout):
    # Down to deadlines shorter than the margin: those are answered as soon as the feedback is journaled.
    with FeedbackClient(patient_replica.target, timeout=timeout) as client:
        result = client.thumbs_up(trace_id=ids.new_trace_id(), wait_until_stored=True, request_id=str(uuid.uuid4()))
    assert result.state == FeedbackState.PENDING
