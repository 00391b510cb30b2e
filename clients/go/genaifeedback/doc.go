// Package genaifeedback is the Go client of the genaifeedback service: stream a GenAI chat whose
// every call is recorded as an MLflow trace, then record user feedback on that trace as MLflow
// assessments.
//
//	client, err := genaifeedback.New("127.0.0.1:50051")
//	if err != nil { ... }
//	defer client.Close()
//	stream, err := client.Chat(ctx, &genaifeedbackv1.ChatRequest{Message: "Hello"})
//	for text, err := range stream.Tokens() { ... }
//	_, err = client.SubmitFeedback(ctx, genaifeedback.TraceID(stream.TraceID()), genaifeedback.Feedback{Value: genaifeedback.Bool(true)})
//
// Every failed call returns an *Error carrying the status code, the service's
// google.rpc.ErrorInfo reason, domain and metadata, the google.rpc.BadRequest field violations, the
// google.rpc.RetryInfo delay and the failed chat's trace id, so callers never decode the
// grpc-status-details-bin trailer themselves. Match on Error.Reason (a value name of
// genaifeedbackv1.ErrorReason), never on the message text.
//
// A feedback call answers once the service has journaled the feedback (State
// FEEDBACK_STATE_PENDING, on its way to MLflow) or once it is in MLflow (FEEDBACK_STATE_STORED);
// set Feedback.WaitUntilStored or Ratings.WaitUntilStored to wait for MLflow within the call's
// deadline, or ask Client.GetFeedbackStatus later.
//
// Feedback with a source id is that rater's vote: a new vote replaces the previous one, which
// MLflow keeps as history. Client.GetFeedback and Client.ListFeedback (an iterator over every
// page) read stored feedback back, Client.CorrectFeedback overrides one with an expert's value
// and reason, Client.DeleteFeedback and Client.DeleteAllFeedback delete for good, and
// Client.EraseFeedbackBySource deletes everything one source gave, streaming its progress.
//
// Timeouts and retries come from the service's shipped gRPC service config (ServiceConfig), which
// New applies as the connection's default: feedback writes are retried on UNAVAILABLE with the
// same request_id (the client generates one per call when none is given), so a retry never
// records twice.
//
// The generated messages and stubs are in package
// go.genaifeedback.dev/client/genaifeedbackv1.
package genaifeedback
