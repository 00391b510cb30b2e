package genaifeedback

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	v1 "go.genaifeedback.dev/client/genaifeedbackv1"
)

// Domain is the google.rpc.ErrorInfo domain of every error the service sends.
const Domain = "genaifeedback"

// TraceIDTrailer is the trailing metadata key under which the service names a failed chat's trace.
const TraceIDTrailer = "mlflow-trace-id"

// Error is a call that ended with a non-OK gRPC status, with the google.rpc details the service
// attached (AIP-193) already decoded. Every method of Client returns an *Error when a call fails;
// get it with errors.As, or with AsError.
//
// It also implements GRPCStatus, so status.Code(err) and status.FromError(err) work on it.
type Error struct {
	// Code is the gRPC status code, such as codes.InvalidArgument or codes.NotFound.
	Code codes.Code
	// Message is the status message, for people; it may change between versions.
	Message string
	// Reason is google.rpc.ErrorInfo.reason: a value name of genaifeedbackv1.ErrorReason such as
	// "TRACE_NOT_FOUND". Empty when the status has no ErrorInfo (for example a failure of the
	// connection itself, reported by the gRPC library rather than the service).
	Reason string
	// Domain is google.rpc.ErrorInfo.domain: "genaifeedback" (Domain) for the service's errors.
	Domain string
	// Metadata is google.rpc.ErrorInfo.metadata, such as "trace_id" or "client_request_id".
	Metadata map[string]string
	// FieldViolations are the google.rpc.BadRequest violations that come with INVALID_FIELD: every
	// problem of the request at once.
	FieldViolations []FieldViolation
	// RetryDelay is google.rpc.RetryInfo.retry_delay: how long to wait before retrying (zero when
	// the status has none; it comes with UNAVAILABLE and RESOURCE_EXHAUSTED).
	RetryDelay time.Duration
	// Resource is the google.rpc.ResourceInfo that comes with NOT_FOUND (nil when absent).
	Resource *ResourceInfo
	// TraceID is the MLflow trace the error is about: for a failed chat the chat's own trace
	// (which records the error), from ErrorInfo metadata "trace_id", the "mlflow-trace-id"
	// trailer or the stream's started event; for a feedback call the trace that ErrorInfo names.
	TraceID string

	status *status.Status
}

// FieldViolation is one problem with one request field (google.rpc.BadRequest.FieldViolation).
type FieldViolation struct {
	// Field is the field's path as in the .proto, such as "ratings[1].score" or `metadata["key"]`.
	Field string
	// Description says what is wrong, in English.
	Description string
	// Reason is a value name of genaifeedbackv1.FieldViolationReason, such as "OUT_OF_RANGE".
	Reason string
}

// ResourceInfo names the resource that was not found (google.rpc.ResourceInfo).
type ResourceInfo struct {
	Type        string
	Name        string
	Description string
}

// Error formats the code, the reason and the message (which lists the field violations).
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("genaifeedback: ")
	b.WriteString(e.Code.String())
	if e.Reason != "" {
		fmt.Fprintf(&b, " (%s)", e.Reason)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// GRPCStatus returns the status as received, details included.
func (e *Error) GRPCStatus() *status.Status { return e.status }

// HasReason reports whether the service sent this reason (in its own domain).
func (e *Error) HasReason(reason v1.ErrorReason) bool {
	return e.Domain == Domain && e.Reason == reason.String()
}

// ErrorReason is Reason as the generated enum; ERROR_REASON_UNSPECIFIED when there is none, or
// when a newer service sends a reason this client does not know (Reason still has its name).
func (e *Error) ErrorReason() v1.ErrorReason {
	if e.Domain != Domain {
		return v1.ErrorReason_ERROR_REASON_UNSPECIFIED
	}
	return v1.ErrorReason(v1.ErrorReason_value[e.Reason])
}

// HasReason reports whether the violation has this reason.
func (v FieldViolation) HasReason(reason v1.FieldViolationReason) bool {
	return v.Reason == reason.String()
}

// AsError finds the *Error in err's chain.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// errorFrom decodes a failed call's status. trailer is the call's trailing metadata (may be
// nil); traceID is the trace already known for the call (a chat's started event), if any.
func errorFrom(err error, trailer metadata.MD, traceID string) error {
	st, ok := status.FromError(err)
	if !ok { // not a gRPC status: an error of this client itself
		return err
	}
	e := &Error{Code: st.Code(), Message: st.Message(), status: st}
	for _, detail := range st.Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			e.Reason, e.Domain, e.Metadata = d.GetReason(), d.GetDomain(), d.GetMetadata()
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				e.FieldViolations = append(e.FieldViolations, FieldViolation{Field: v.GetField(), Description: v.GetDescription(), Reason: v.GetReason()})
			}
		case *errdetails.RetryInfo:
			e.RetryDelay = d.GetRetryDelay().AsDuration()
		case *errdetails.ResourceInfo:
			e.Resource = &ResourceInfo{Type: d.GetResourceType(), Name: d.GetResourceName(), Description: d.GetDescription()}
		}
	}
	switch {
	case e.Metadata["trace_id"] != "":
		e.TraceID = e.Metadata["trace_id"]
	case len(trailer.Get(TraceIDTrailer)) > 0:
		e.TraceID = trailer.Get(TraceIDTrailer)[0]
	default:
		e.TraceID = traceID
	}
	return e
}
