package genaifeedback

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	v1 "go.genaifeedback.dev/client/genaifeedbackv1"
)

// Target says which trace a feedback is about: make one with TraceID or ClientRequestID.
type Target struct {
	kind targetKind
	id   string
}

type targetKind int

const (
	noTarget targetKind = iota
	byTraceID
	byClientRequestID
)

// TraceID targets the trace with this MLflow trace id, as ChatStream.TraceID returns it.
func TraceID(id string) Target { return Target{byTraceID, id} }

// ClientRequestID targets the trace of the chat that was sent with this client_request_id.
func ClientRequestID(id string) Target { return Target{byClientRequestID, id} }

func (t Target) String() string {
	switch t.kind {
	case byTraceID:
		return "trace_id " + t.id
	case byClientRequestID:
		return "client_request_id " + t.id
	}
	return "no target"
}

// Value is a feedback value: make one with Bool, Number, String or JSON.
type Value struct {
	v any // bool, float64, string or *structpb.Value; nil when unset
}

// Bool is binary feedback: true for thumbs up / correct, false for thumbs down.
func Bool(b bool) Value { return Value{b} }

// Number is a numeric score, such as a 1-5 rating. It must be finite.
func Number(n float64) Value { return Value{n} }

// String is a category (such as "off_topic") or free text, at most 8 KiB.
func String(s string) Value { return Value{s} }

// JSON is a structured value, at most 64 KiB as JSON. v is what structpb.NewValue takes:
// map[string]any, []any, string, bool, numbers, nil (which the service refuses) and nestings of them.
func JSON(v any) (Value, error) {
	pv, err := structpb.NewValue(v)
	if err != nil {
		return Value{}, fmt.Errorf("genaifeedback: JSON value: %w", err)
	}
	return Value{pv}, nil
}

func (v Value) setSubmit(r *v1.SubmitFeedbackRequest) {
	switch x := v.v.(type) {
	case bool:
		r.Value = &v1.SubmitFeedbackRequest_BoolValue{BoolValue: x}
	case float64:
		r.Value = &v1.SubmitFeedbackRequest_NumberValue{NumberValue: x}
	case string:
		r.Value = &v1.SubmitFeedbackRequest_StringValue{StringValue: x}
	case *structpb.Value:
		r.Value = &v1.SubmitFeedbackRequest_JsonValue{JsonValue: x}
	}
}

func (v Value) setCorrect(r *v1.CorrectFeedbackRequest) {
	switch x := v.v.(type) {
	case bool:
		r.Value = &v1.CorrectFeedbackRequest_BoolValue{BoolValue: x}
	case float64:
		r.Value = &v1.CorrectFeedbackRequest_NumberValue{NumberValue: x}
	case string:
		r.Value = &v1.CorrectFeedbackRequest_StringValue{StringValue: x}
	case *structpb.Value:
		r.Value = &v1.CorrectFeedbackRequest_JsonValue{JsonValue: x}
	}
}

// Source says who or what gave a feedback. The zero Source is a person (SOURCE_TYPE_HUMAN) with
// no id.
type Source struct {
	Type v1.SourceType // SOURCE_TYPE_HUMAN, SOURCE_TYPE_LLM_JUDGE or SOURCE_TYPE_CODE
	ID   string        // which user, judge or program; at most 250 characters
}

// Human is feedback from a person, such as the end user with this id.
func Human(id string) Source { return Source{v1.SourceType_SOURCE_TYPE_HUMAN, id} }

// LLMJudge is feedback from an LLM acting as a judge, such as the judge model's name.
func LLMJudge(id string) Source { return Source{v1.SourceType_SOURCE_TYPE_LLM_JUDGE, id} }

// Code is feedback from a program, such as a heuristic check.
func Code(id string) Source { return Source{v1.SourceType_SOURCE_TYPE_CODE, id} }

func (s Source) proto() *v1.FeedbackSource {
	if s == (Source{}) {
		return nil
	}
	return &v1.FeedbackSource{Type: s.Type, Id: s.ID}
}

// Feedback is one feedback on a trace. Only Value is required.
type Feedback struct {
	// Value is the feedback itself: Bool, Number, String or JSON. Required.
	Value Value
	// Name is the assessment's name in MLflow. Empty: the service's default, "user_feedback".
	Name string
	// Rationale is why: the user's comment or a judge's reasoning. At most 16 KiB.
	Rationale string
	// Source is who gave it. Zero: a person, with no id. With an ID the feedback is that rater's
	// vote: it replaces their previous vote on the same trace, span and name, which stays in
	// MLflow as history.
	Source Source
	// Metadata is extra context stored with it: at most 20 entries.
	Metadata map[string]string
	// SpanID attaches the feedback to one span (16 hex digits) instead of the whole trace.
	SpanID string
	// RequestID is the idempotency key of this one user action: sending the same feedback again
	// with it records it once. Empty: the client generates a UUID, which its retries reuse.
	RequestID string
	// WaitUntilStored makes the call answer only once the feedback is in MLflow (State STORED),
	// or just before the call's deadline (State PENDING). False: the call answers as soon as the
	// service has journaled the feedback, usually before MLflow has it (State PENDING).
	WaitUntilStored bool
	// ClientTime is when the user gave the feedback, by the caller's clock: of one rater's votes
	// the one with the latest ClientTime is current, whatever order they arrive in. Zero: when
	// the service receives the call. At most 5 minutes ahead, and not before 2000.
	ClientTime time.Time
}

// FeedbackResult names what was recorded.
type FeedbackResult struct {
	AssessmentID string // the MLflow assessment id, `a-` and 32 hex digits
	// TraceID is the trace it is on (resolved, when the target was a client_request_id; empty
	// while that chat's trace is not found yet).
	TraceID   string
	RequestID string // the request_id sent, given or generated
	// State is FEEDBACK_STATE_STORED when the feedback is in MLflow already, or
	// FEEDBACK_STATE_PENDING when it is journaled by the service and on its way there (ask
	// GetFeedbackStatus what became of it). A retry of an earlier call gets that call's state.
	State v1.FeedbackState
}

// SubmitFeedback records one feedback on the target trace. An OK answer means the service has
// journaled it durably: it reaches MLflow exactly once, even if the trace is still being stored,
// or becomes EXPIRED if the trace never appears within the service's attach window (10 minutes
// by default). Set Feedback.WaitUntilStored to answer only once it is in MLflow. UNAVAILABLE is
// retried by the service config with the same request_id, so the feedback is recorded at most
// once.
//
// A trace id that is neither in MLflow nor recent enough to be on its way fails at once with
// NOT_FOUND (TRACE_NOT_FOUND). With WaitUntilStored, a feedback found never to be storable while
// waiting fails too: NOT_FOUND (TRACE_NOT_FOUND) when its trace did not appear in time,
// ALREADY_EXISTS (REQUEST_ID_REUSED), and so on.
func (c *Client) SubmitFeedback(ctx context.Context, target Target, fb Feedback, opts ...grpc.CallOption) (*FeedbackResult, error) {
	req := &v1.SubmitFeedbackRequest{
		SpanId:          fb.SpanID,
		Name:            fb.Name,
		Source:          fb.Source.proto(),
		Rationale:       fb.Rationale,
		Metadata:        fb.Metadata,
		RequestId:       requestID(fb.RequestID),
		WaitUntilStored: fb.WaitUntilStored,
		ClientTime:      timestamp(fb.ClientTime),
	}
	switch target.kind {
	case byTraceID:
		req.Target = &v1.SubmitFeedbackRequest_TraceId{TraceId: target.id}
	case byClientRequestID:
		req.Target = &v1.SubmitFeedbackRequest_ClientRequestId{ClientRequestId: target.id}
	}
	fb.Value.setSubmit(req)
	var trailer metadata.MD
	resp, err := c.feedback.SubmitFeedback(ctx, req, append(opts, grpc.Trailer(&trailer))...)
	if err != nil {
		return nil, errorFrom(err, trailer, "")
	}
	return &FeedbackResult{AssessmentID: resp.GetAssessmentId(), TraceID: resp.GetTraceId(), RequestID: req.GetRequestId(), State: resp.GetState()}, nil
}

// ThumbsUp records Bool(true) as "user_feedback" on the target trace.
func (c *Client) ThumbsUp(ctx context.Context, target Target, opts ...grpc.CallOption) (*FeedbackResult, error) {
	return c.SubmitFeedback(ctx, target, Feedback{Value: Bool(true)}, opts...)
}

// ThumbsDown records Bool(false) as "user_feedback" on the target trace, with the user's comment.
func (c *Client) ThumbsDown(ctx context.Context, target Target, comment string, opts ...grpc.CallOption) (*FeedbackResult, error) {
	return c.SubmitFeedback(ctx, target, Feedback{Value: Bool(false), Rationale: comment}, opts...)
}

// Rating is the score of one dimension, an integer from 1 (worst) to 5 (best).
type Rating struct {
	Name  string // the dimension, recorded as the assessment name, such as "accuracy"
	Score int32
}

// Ratings rates several dimensions of one trace at once; all are recorded, or none.
type Ratings struct {
	// Ratings are 1 to 20 dimensions with distinct names. Required.
	Ratings []Rating
	// Rationale, Source, Metadata, SpanID and RequestID are as in Feedback, and are stored with
	// every dimension.
	Rationale string
	Source    Source
	Metadata  map[string]string
	SpanID    string
	RequestID string
	// WaitUntilStored and ClientTime are as in Feedback, for all the dimensions together.
	WaitUntilStored bool
	ClientTime      time.Time
}

// RatingsResult names what was recorded.
type RatingsResult struct {
	TraceID       string            // empty while a client_request_id's trace is not found yet
	AssessmentIDs map[string]string // dimension name -> MLflow assessment id
	RequestID     string            // the request_id sent, given or generated
	State         v1.FeedbackState  // as in FeedbackResult, for all the dimensions together
}

// SubmitRatings records one assessment per dimension on the target trace, all or none. It is
// acknowledged, waits and is retried like SubmitFeedback.
func (c *Client) SubmitRatings(ctx context.Context, target Target, r Ratings, opts ...grpc.CallOption) (*RatingsResult, error) {
	req := &v1.SubmitRatingsRequest{
		SpanId:          r.SpanID,
		Source:          r.Source.proto(),
		Rationale:       r.Rationale,
		Metadata:        r.Metadata,
		RequestId:       requestID(r.RequestID),
		WaitUntilStored: r.WaitUntilStored,
		ClientTime:      timestamp(r.ClientTime),
	}
	switch target.kind {
	case byTraceID:
		req.Target = &v1.SubmitRatingsRequest_TraceId{TraceId: target.id}
	case byClientRequestID:
		req.Target = &v1.SubmitRatingsRequest_ClientRequestId{ClientRequestId: target.id}
	}
	for _, rating := range r.Ratings {
		req.Ratings = append(req.Ratings, &v1.DimensionRating{Name: rating.Name, Score: rating.Score})
	}
	var trailer metadata.MD
	resp, err := c.feedback.SubmitRatings(ctx, req, append(opts, grpc.Trailer(&trailer))...)
	if err != nil {
		return nil, errorFrom(err, trailer, "")
	}
	return &RatingsResult{TraceID: resp.GetTraceId(), AssessmentIDs: resp.GetAssessmentIds(), RequestID: req.GetRequestId(), State: resp.GetState()}, nil
}

func requestID(given string) string {
	if given != "" {
		return given
	}
	return uuid.NewString()
}

// timestamp is t as a Timestamp; nil (unset) for the zero time.
func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}
