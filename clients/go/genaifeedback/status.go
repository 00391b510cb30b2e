package genaifeedback

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	v1 "go.genaifeedback.dev/client/genaifeedbackv1"
)

// FeedbackRef says which feedback GetFeedbackStatus asks about: make one with ByRequestID or
// ByAssessmentID.
type FeedbackRef struct {
	kind refKind
	id   string
}

type refKind int

const (
	noRef refKind = iota
	byRequestID
	byAssessmentID
)

// ByRequestID names the feedback (or ratings) sent with this request_id, as FeedbackResult and
// RatingsResult return it. Ask with the target it was sent with.
func ByRequestID(id string) FeedbackRef { return FeedbackRef{byRequestID, id} }

// ByAssessmentID names the feedback answered with this assessment id. For ratings it is the id of
// the first dimension in name order.
func ByAssessmentID(id string) FeedbackRef { return FeedbackRef{byAssessmentID, id} }

func (r FeedbackRef) String() string {
	switch r.kind {
	case byRequestID:
		return "request_id " + r.id
	case byAssessmentID:
		return "assessment_id " + r.id
	}
	return "no feedback"
}

// FeedbackStatus says where a feedback is on its way to MLflow.
type FeedbackStatus struct {
	// State is FEEDBACK_STATE_PENDING (journaled by the service, not in MLflow yet),
	// FEEDBACK_STATE_STORED (in MLflow), FEEDBACK_STATE_EXPIRED (its trace did not appear within
	// the service's attach window; not stored), FEEDBACK_STATE_REJECTED (refused; not stored) or
	// FEEDBACK_STATE_DELETED (deleted since; a retry of it records nothing).
	State v1.FeedbackState
	// TraceID is the trace it is (to be) recorded on; empty while a client_request_id is not
	// resolved yet.
	TraceID string
	// AssessmentIDs are its MLflow assessment ids by feedback name: one per dimension for ratings.
	AssessmentIDs map[string]string
	// Reason says why, for EXPIRED and REJECTED: a value name of genaifeedbackv1.ErrorReason
	// (TRACE_NOT_FOUND, REQUEST_ID_REUSED, INVALID_FIELD, MLFLOW_REJECTED).
	Reason string
}

// Settled reports whether the state is final: STORED, EXPIRED, REJECTED or DELETED.
func (s *FeedbackStatus) Settled() bool {
	switch s.State {
	case v1.FeedbackState_FEEDBACK_STATE_STORED, v1.FeedbackState_FEEDBACK_STATE_EXPIRED,
		v1.FeedbackState_FEEDBACK_STATE_REJECTED, v1.FeedbackState_FEEDBACK_STATE_DELETED:
		return true
	}
	return false
}

// GetFeedbackStatus tells what became of a feedback named by ref and sent to target. Ids are
// derived from the target as it was sent: with ByRequestID give that same target (TraceID or
// ClientRequestID); ByAssessmentID works with either. Ask the replica that took it (it remembers
// its feedback for a day), or any replica once it is STORED; NOT_FOUND (FEEDBACK_NOT_FOUND, with
// ErrorInfo metadata "assessment_id") when neither that replica nor MLflow knows it. UNAVAILABLE
// is retried by the service config.
func (c *Client) GetFeedbackStatus(ctx context.Context, target Target, ref FeedbackRef, opts ...grpc.CallOption) (*FeedbackStatus, error) {
	req := &v1.GetFeedbackStatusRequest{}
	switch target.kind {
	case byTraceID:
		req.Target = &v1.GetFeedbackStatusRequest_TraceId{TraceId: target.id}
	case byClientRequestID:
		req.Target = &v1.GetFeedbackStatusRequest_ClientRequestId{ClientRequestId: target.id}
	}
	switch ref.kind {
	case byRequestID:
		req.Feedback = &v1.GetFeedbackStatusRequest_RequestId{RequestId: ref.id}
	case byAssessmentID:
		req.Feedback = &v1.GetFeedbackStatusRequest_AssessmentId{AssessmentId: ref.id}
	}
	var trailer metadata.MD
	resp, err := c.feedback.GetFeedbackStatus(ctx, req, append(opts, grpc.Trailer(&trailer))...)
	if err != nil {
		return nil, errorFrom(err, trailer, "")
	}
	return &FeedbackStatus{State: resp.GetState(), TraceID: resp.GetTraceId(), AssessmentIDs: resp.GetAssessmentIds(), Reason: resp.GetReason()}, nil
}
