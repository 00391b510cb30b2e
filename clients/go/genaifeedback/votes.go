package genaifeedback

import (
	"context"
	"errors"
	"io"
	"iter"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	v1 "go.genaifeedback.dev/client/genaifeedbackv1"
)

// FeedbackRecord is one feedback as MLflow stores it (GetFeedback, ListFeedback), with its place
// in its vote's history.
type FeedbackRecord struct {
	AssessmentID string
	TraceID      string
	SpanID       string // empty for the whole trace
	Name         string
	// Value is the value as given: bool, float64, string, or for a structured value what
	// structpb.Value.AsInterface returns (map[string]any, []any, ...). Nil for a value kind newer
	// than this client.
	Value     any
	Source    Source
	Rationale string
	Metadata  map[string]string // the service's own keys ("genaifeedback.") included
	// CreateTime is when it was given (its ClientTime, or when the service received it).
	CreateTime time.Time
	UpdateTime time.Time // when MLflow last changed it
	// Current is false once a later vote by the same source, or a correction, replaced it.
	Current      bool
	Overrides    string // the assessment id this one replaced; empty if none
	OverriddenBy string // the assessment id that replaced this one; empty if none
}

func recordFrom(r *v1.FeedbackRecord) *FeedbackRecord {
	record := &FeedbackRecord{
		AssessmentID: r.GetAssessmentId(),
		TraceID:      r.GetTraceId(),
		SpanID:       r.GetSpanId(),
		Name:         r.GetName(),
		Source:       Source{Type: r.GetSource().GetType(), ID: r.GetSource().GetId()},
		Rationale:    r.GetRationale(),
		Metadata:     r.GetMetadata(),
		Current:      r.GetCurrent(),
		Overrides:    r.GetOverrides(),
		OverriddenBy: r.GetOverriddenBy(),
	}
	switch value := r.GetValue().(type) {
	case *v1.FeedbackRecord_BoolValue:
		record.Value = value.BoolValue
	case *v1.FeedbackRecord_NumberValue:
		record.Value = value.NumberValue
	case *v1.FeedbackRecord_StringValue:
		record.Value = value.StringValue
	case *v1.FeedbackRecord_JsonValue:
		record.Value = value.JsonValue.AsInterface()
	}
	if r.GetCreateTime() != nil {
		record.CreateTime = r.GetCreateTime().AsTime()
	}
	if r.GetUpdateTime() != nil {
		record.UpdateTime = r.GetUpdateTime().AsTime()
	}
	return record
}

// GetFeedback reads one stored feedback back from MLflow, with whether it is the current vote and
// what it replaced or was replaced by. NOT_FOUND (FEEDBACK_NOT_FOUND) if MLflow does not have it.
func (c *Client) GetFeedback(ctx context.Context, target Target, assessmentID string, opts ...grpc.CallOption) (*FeedbackRecord, error) {
	req := &v1.GetFeedbackRequest{AssessmentId: assessmentID}
	switch target.kind {
	case byTraceID:
		req.Target = &v1.GetFeedbackRequest_TraceId{TraceId: target.id}
	case byClientRequestID:
		req.Target = &v1.GetFeedbackRequest_ClientRequestId{ClientRequestId: target.id}
	}
	var trailer metadata.MD
	resp, err := c.feedback.GetFeedback(ctx, req, append(opts, grpc.Trailer(&trailer))...)
	if err != nil {
		return nil, errorFrom(err, trailer, "")
	}
	return recordFrom(resp.GetFeedback()), nil
}

// FeedbackQuery says which stored feedback ListFeedback lists: that on one trace (Target), or
// that one source gave on any trace (SourceID). Exactly one of Target and SourceID is required.
type FeedbackQuery struct {
	Target   Target // TraceID or ClientRequestID
	SourceID string // the feedback this source id gave, on traces started within [Start, End)
	Name     string // only feedback with this name; empty: any
	// Start and End bound when the feedback was given (Start inclusive, End exclusive); zero:
	// unbounded. For a SourceID, Start also bounds the traces searched (zero: the last 30 days).
	Start, End time.Time
	// IncludeHistory lists the votes that were replaced too, not only the current ones.
	IncludeHistory bool
	// PageSize is how many records each call fetches, 1 to 1000; zero: the service's default, 100.
	PageSize int32
}

// ListFeedback lists the stored feedback the query names, by trace then oldest first, fetching
// one page per call as the loop goes:
//
//	for record, err := range client.ListFeedback(ctx, genaifeedback.FeedbackQuery{SourceID: "alice"}) {
//		if err != nil { ... }  // the last value: the loop ends after it
//	}
func (c *Client) ListFeedback(ctx context.Context, query FeedbackQuery, opts ...grpc.CallOption) iter.Seq2[*FeedbackRecord, error] {
	req := &v1.ListFeedbackRequest{
		Name:           query.Name,
		StartTime:      timestamp(query.Start),
		EndTime:        timestamp(query.End),
		IncludeHistory: query.IncludeHistory,
		PageSize:       query.PageSize,
	}
	switch {
	case query.SourceID != "" && query.Target.kind != noTarget:
		// Left unset: the service refuses a request without exactly one scope as INVALID_ARGUMENT.
	case query.SourceID != "":
		req.Scope = &v1.ListFeedbackRequest_SourceId{SourceId: query.SourceID}
	case query.Target.kind == byTraceID:
		req.Scope = &v1.ListFeedbackRequest_TraceId{TraceId: query.Target.id}
	case query.Target.kind == byClientRequestID:
		req.Scope = &v1.ListFeedbackRequest_ClientRequestId{ClientRequestId: query.Target.id}
	}
	return func(yield func(*FeedbackRecord, error) bool) {
		for {
			var trailer metadata.MD
			page, err := c.feedback.ListFeedback(ctx, req, append(opts, grpc.Trailer(&trailer))...)
			if err != nil {
				yield(nil, errorFrom(err, trailer, ""))
				return
			}
			for _, record := range page.GetFeedback() {
				if !yield(recordFrom(record), nil) {
					return
				}
			}
			if page.GetNextPageToken() == "" {
				return
			}
			req.PageToken = page.GetNextPageToken()
		}
	}
}

// Correction is an expert's or a judge's corrected value for a stored feedback.
type Correction struct {
	// Value is the corrected value, of the same feedback name and schema. Required.
	Value Value
	// Source is who corrects it; its ID is required, so the correction can be traced to someone.
	Source Source
	// Rationale is why the value was wrong. Required.
	Rationale string
	// Metadata, RequestID and WaitUntilStored are as in Feedback.
	Metadata        map[string]string
	RequestID       string
	WaitUntilStored bool
}

// CorrectFeedback replaces a stored feedback's value with a corrected one: the correction
// overrides the original, which stays in MLflow as history. NOT_FOUND (FEEDBACK_NOT_FOUND) if the
// feedback is not in MLflow. Answered, waited for and retried like SubmitFeedback.
func (c *Client) CorrectFeedback(ctx context.Context, target Target, assessmentID string, correction Correction, opts ...grpc.CallOption) (*FeedbackResult, error) {
	req := &v1.CorrectFeedbackRequest{
		AssessmentId:    assessmentID,
		Source:          correction.Source.proto(),
		Rationale:       correction.Rationale,
		Metadata:        correction.Metadata,
		RequestId:       requestID(correction.RequestID),
		WaitUntilStored: correction.WaitUntilStored,
	}
	switch target.kind {
	case byTraceID:
		req.Target = &v1.CorrectFeedbackRequest_TraceId{TraceId: target.id}
	case byClientRequestID:
		req.Target = &v1.CorrectFeedbackRequest_ClientRequestId{ClientRequestId: target.id}
	}
	correction.Value.setCorrect(req)
	var trailer metadata.MD
	resp, err := c.feedback.CorrectFeedback(ctx, req, append(opts, grpc.Trailer(&trailer))...)
	if err != nil {
		return nil, errorFrom(err, trailer, "")
	}
	return &FeedbackResult{AssessmentID: resp.GetAssessmentId(), TraceID: resp.GetTraceId(), RequestID: req.GetRequestId(), State: resp.GetState()}, nil
}

// DeleteResult says what was deleted.
type DeleteResult struct {
	TraceID string
	// DeletedAssessmentIDs are the assessment ids deleted: empty when nothing was left to delete
	// (deleting is idempotent).
	DeletedAssessmentIDs []string
}

// DeleteFeedback deletes one feedback with its whole history (the rater's earlier votes it
// replaced, and corrections of it). Deletion is final: a late retry of a deleted feedback's
// request_id records nothing (its state is FEEDBACK_STATE_DELETED).
func (c *Client) DeleteFeedback(ctx context.Context, target Target, assessmentID string, opts ...grpc.CallOption) (*DeleteResult, error) {
	return c.deleteFeedback(ctx, target, &v1.DeleteFeedbackRequest{Selection: &v1.DeleteFeedbackRequest_AssessmentId{AssessmentId: assessmentID}}, opts)
}

// DeleteAllFeedback deletes every feedback on the target trace, for good (as DeleteFeedback).
func (c *Client) DeleteAllFeedback(ctx context.Context, target Target, opts ...grpc.CallOption) (*DeleteResult, error) {
	return c.deleteFeedback(ctx, target, &v1.DeleteFeedbackRequest{Selection: &v1.DeleteFeedbackRequest_AllOnTrace{AllOnTrace: true}}, opts)
}

func (c *Client) deleteFeedback(ctx context.Context, target Target, req *v1.DeleteFeedbackRequest, opts []grpc.CallOption) (*DeleteResult, error) {
	switch target.kind {
	case byTraceID:
		req.Target = &v1.DeleteFeedbackRequest_TraceId{TraceId: target.id}
	case byClientRequestID:
		req.Target = &v1.DeleteFeedbackRequest_ClientRequestId{ClientRequestId: target.id}
	}
	var trailer metadata.MD
	resp, err := c.feedback.DeleteFeedback(ctx, req, append(opts, grpc.Trailer(&trailer))...)
	if err != nil {
		return nil, errorFrom(err, trailer, "")
	}
	return &DeleteResult{TraceID: resp.GetTraceId(), DeletedAssessmentIDs: resp.GetDeletedAssessmentIds()}, nil
}

// EraseProgress is how far an erasure by source has got: counts so far, or the totals when Done.
type EraseProgress struct {
	TracesScanned   int64 // traces of the experiment looked at
	FeedbackDeleted int64
	TracesChanged   int64 // traces on which something was deleted
	Done            bool  // the erasure is complete
}

// EraseFeedbackBySource deletes every feedback source.ID gave (of source.Type, or of any type
// when Type is SOURCE_TYPE_UNSPECIFIED), on every trace of the service's experiment, for good (as
// DeleteFeedback). It returns the totals (Done) once the erasure is complete, and calls progress,
// if not nil, with each report the service streams (one per page of traces searched, the last
// one Done).
//
// The erasure walks the whole experiment: the service config gives it 600 s, which a deadline on
// ctx can shorten (a connection with a service config of your own allows longer). An erasure cut short returns an error;
// what it deleted stays deleted, and running it again finishes the job. Feedback still on its way
// from another replica can escape it: run it again once deliveries have drained to be certain.
func (c *Client) EraseFeedbackBySource(ctx context.Context, source Source, progress func(EraseProgress), opts ...grpc.CallOption) (*EraseProgress, error) {
	ctx, cancel := context.WithCancel(ctx) // ends the call if progress panics or we return early
	defer cancel()
	stream, err := c.feedback.EraseFeedbackBySource(ctx, &v1.EraseFeedbackBySourceRequest{SourceId: source.ID, SourceType: source.Type}, opts...)
	if err != nil {
		return nil, errorFrom(err, nil, "")
	}
	last := &EraseProgress{}
	for {
		message, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return last, nil
		}
		if err != nil {
			return nil, errorFrom(err, stream.Trailer(), "")
		}
		last = &EraseProgress{
			TracesScanned:   message.GetTracesScanned(),
			FeedbackDeleted: message.GetFeedbackDeleted(),
			TracesChanged:   message.GetTracesChanged(),
			Done:            message.GetDone(),
		}
		if progress != nil {
			progress(*last)
		}
	}
}
