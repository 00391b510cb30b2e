package genaifeedback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"

	"google.golang.org/grpc"

	v1 "go.genaifeedback.dev/client/genaifeedbackv1"
)

// Chat starts a streamed chat and waits for its first event, so the returned stream already knows
// its MLflow trace id: feedback can be sent for it at once, even if the caller stops reading. A
// request the service refuses (for example INVALID_FIELD) fails here, as an *Error.
//
// Read the answer with Tokens or Recv until the end. Cancel ctx to hang up early: the service stops
// generating and records the trace as cancelled.
func (c *Client) Chat(ctx context.Context, req *v1.ChatRequest, opts ...grpc.CallOption) (*ChatStream, error) {
	call, err := c.chat.Chat(ctx, req, opts...)
	if err != nil {
		return nil, errorFrom(err, nil, "")
	}
	s := &ChatStream{call: call}
	first, err := s.recvEvent()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("genaifeedback: chat stream ended before its started event")
		}
		return nil, err
	}
	started := first.GetStarted()
	if started == nil {
		return nil, fmt.Errorf("genaifeedback: chat stream began with %T, not a started event", first.GetEvent())
	}
	s.traceID, s.clientRequestID = started.GetTraceId(), started.GetClientRequestId()
	return s, nil
}

// ChatStream is one Chat call under way. It is not safe for concurrent use.
type ChatStream struct {
	call            grpc.ServerStreamingClient[v1.ChatResponse]
	traceID         string
	clientRequestID string
	text            strings.Builder
	chunks          int
	finished        *v1.ChatFinished
	err             error // io.EOF after finished, or the *Error that ended the stream
}

// TraceID is the chat's MLflow trace id (`tr-` and 32 hex digits), from the started event.
func (s *ChatStream) TraceID() string { return s.traceID }

// ClientRequestID is the request's client_request_id as the service echoed it (empty if none).
func (s *ChatStream) ClientRequestID() string { return s.clientRequestID }

// Recv returns the next piece of generated text: one chunk while the reader keeps up, or the
// chunks that piled up meanwhile, joined in order, when it (or the connection) falls behind; every
// chunk's text comes exactly once, in order. At the end of a successful stream it returns
// io.EOF, and Finished holds the finish reason and token usage; a failed stream returns an *Error
// whose TraceID names the chat's trace. Once it has returned an error it keeps returning it.
func (s *ChatStream) Recv() (string, error) {
	for s.err == nil {
		event, err := s.recvEvent()
		if err != nil {
			s.err = err
			break
		}
		switch e := event.GetEvent().(type) {
		case *v1.ChatResponse_Token:
			s.text.WriteString(e.Token.GetText())
			s.chunks += max(1, int(e.Token.GetChunkCount())) // 0: one chunk (services before the field)
			return e.Token.GetText(), nil
		case *v1.ChatResponse_Finished:
			s.finished = e.Finished
		}
	}
	return "", s.err
}

// Tokens yields the generated text as it arrives, as Recv returns it. It stops at the end of the stream;
// if the stream fails it yields the *Error last (with an empty text). Breaking out of the loop
// leaves the call open: cancel its context to hang up.
//
//	for text, err := range stream.Tokens() {
//		if err != nil { return err }
//		fmt.Print(text)
//	}
func (s *ChatStream) Tokens() iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for {
			text, err := s.Recv()
			if errors.Is(err, io.EOF) {
				return
			}
			if !yield(text, err) || err != nil {
				return
			}
		}
	}
}

// Text is all the text received so far; after the end, the whole answer.
func (s *ChatStream) Text() string { return s.text.String() }

// Chunks counts the generated chunks received so far (several may come in one event); after the
// end it equals Finished().GetUsage().GetOutputTokens() for the built-in and OpenAI-compatible models.
func (s *ChatStream) Chunks() int { return s.chunks }

// Finished is the stream's last event once it ended successfully (finish reason and token usage),
// nil before that or if the stream failed.
func (s *ChatStream) Finished() *v1.ChatFinished { return s.finished }

// Collect reads the rest of the stream and returns the whole answer.
func (s *ChatStream) Collect() (string, error) {
	for _, err := range s.Tokens() {
		if err != nil {
			return s.Text(), err
		}
	}
	return s.Text(), nil
}

func (s *ChatStream) recvEvent() (*v1.ChatResponse, error) {
	event, err := s.call.Recv()
	if errors.Is(err, io.EOF) {
		if s.finished == nil && s.traceID != "" {
			return nil, fmt.Errorf("genaifeedback: chat stream of trace %s ended without a finished event", s.traceID)
		}
		return nil, io.EOF
	}
	if err != nil {
		return nil, errorFrom(err, s.call.Trailer(), s.traceID)
	}
	return event, nil
}
