package genaifeedback_test

// Failures the real service cannot be made to produce on demand (a lost reply, MLflow down, a
// model that fails mid-stream) are injected by a small gRPC server on 127.0.0.1 that stands in
// front of the real service or in place of it.

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"go.genaifeedback.dev/client/genaifeedback"
	v1 "go.genaifeedback.dev/client/genaifeedbackv1"
)

// serve runs services on a fresh 127.0.0.1 port and returns a client of the package connected to it.
func serve(t *testing.T, register func(*grpc.Server)) *genaifeedback.Client {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer()
	register(server)
	go server.Serve(listener)
	t.Cleanup(server.Stop)
	client, err := genaifeedback.New(listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

// flakyFeedback forwards SubmitFeedback to the real service, but answers the first attempt with
// UNAVAILABLE after the real service has recorded it: a reply lost on the way back.
type flakyFeedback struct {
	v1.UnimplementedFeedbackServiceServer
	real v1.FeedbackServiceClient

	mu         sync.Mutex
	requestIDs []string
	lost       []string // assessment ids whose reply was dropped
}

func (f *flakyFeedback) SubmitFeedback(ctx context.Context, req *v1.SubmitFeedbackRequest) (*v1.SubmitFeedbackResponse, error) {
	f.mu.Lock()
	f.requestIDs = append(f.requestIDs, req.GetRequestId())
	first := len(f.requestIDs) == 1
	f.mu.Unlock()
	resp, err := f.real.SubmitFeedback(ctx, req)
	if err != nil || !first {
		return resp, err
	}
	f.mu.Lock()
	f.lost = append(f.lost, resp.GetAssessmentId())
	f.mu.Unlock()
	st, _ := status.New(codes.Unavailable, "connection reset before the reply").WithDetails(
		&errdetails.ErrorInfo{Reason: "MLFLOW_UNAVAILABLE", Domain: genaifeedback.Domain},
		&errdetails.RetryInfo{RetryDelay: durationpb.New(100 * time.Millisecond)},
	)
	return nil, st.Err()
}

// The service config retries UNAVAILABLE with the same message, so the same request_id (generated
// by the client): the lost write and its retry are one assessment, recorded once in MLflow.
func TestServiceConfigRetriesWithTheSameRequestID(t *testing.T) {
	conn, err := grpc.NewClient(env(t, "GENAIFEEDBACK_ADDRESS"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	flaky := &flakyFeedback{real: v1.NewFeedbackServiceClient(conn)}
	client := serve(t, func(s *grpc.Server) { v1.RegisterFeedbackServiceServer(s, flaky) })
	stream := chat(t, newClient(t), &v1.ChatRequest{Message: "A reply gets lost"})
	name := uniqueID("lost-reply")

	result, err := client.SubmitFeedback(testContext(t), genaifeedback.TraceID(stream.TraceID()), genaifeedback.Feedback{Name: name, Value: genaifeedback.Bool(true), WaitUntilStored: true})
	if err != nil {
		t.Fatalf("SubmitFeedback through a lost reply: %v", err)
	}
	if result.State != stateStored {
		t.Errorf("state %s, want STORED", result.State)
	}
	flaky.mu.Lock()
	defer flaky.mu.Unlock()
	if len(flaky.requestIDs) != 2 || flaky.requestIDs[0] != flaky.requestIDs[1] || flaky.requestIDs[0] != result.RequestID {
		t.Fatalf("attempts carried request ids %q, want two equal to %q", flaky.requestIDs, result.RequestID)
	}
	if _, err := uuid.Parse(result.RequestID); err != nil {
		t.Errorf("generated request id %q: %v", result.RequestID, err)
	}
	if len(flaky.lost) != 1 || flaky.lost[0] != result.AssessmentID {
		t.Errorf("lost reply named %q, the retry %s: want the same assessment", flaky.lost, result.AssessmentID)
	}
	if stored := storedTrace(t, stream.TraceID()).only(t, name); stored.AssessmentID != result.AssessmentID {
		t.Errorf("MLflow holds %s, want %s", stored.AssessmentID, result.AssessmentID)
	}
}

// downFeedback is a FeedbackService whose MLflow is down: every call is UNAVAILABLE.
type downFeedback struct {
	v1.UnimplementedFeedbackServiceServer
	mu       sync.Mutex
	attempts int
}

func (d *downFeedback) SubmitRatings(ctx context.Context, req *v1.SubmitRatingsRequest) (*v1.SubmitRatingsResponse, error) {
	d.mu.Lock()
	d.attempts++
	d.mu.Unlock()
	st, _ := status.New(codes.Unavailable, "MLflow is unavailable").WithDetails(
		&errdetails.ErrorInfo{Reason: "MLFLOW_UNAVAILABLE", Domain: genaifeedback.Domain, Metadata: map[string]string{"trace_id": req.GetTraceId()}},
		&errdetails.RetryInfo{RetryDelay: durationpb.New(1500 * time.Millisecond)},
	)
	return nil, st.Err()
}

// After the service config's last attempt the caller gets the reason and RetryInfo's delay.
func TestUnavailableAfterLastAttemptHasRetryDelay(t *testing.T) {
	down := &downFeedback{}
	client := serve(t, func(s *grpc.Server) { v1.RegisterFeedbackServiceServer(s, down) })
	traceID := "tr-0123456789abcdef0123456789abcdef"

	_, err := client.SubmitRatings(testContext(t), genaifeedback.TraceID(traceID), genaifeedback.Ratings{Ratings: []genaifeedback.Rating{{Name: "accuracy", Score: 3}}})
	gerr, ok := genaifeedback.AsError(err)
	if !ok || gerr.Code != codes.Unavailable || !gerr.HasReason(v1.ErrorReason_MLFLOW_UNAVAILABLE) {
		t.Fatalf("got %v, want UNAVAILABLE with reason MLFLOW_UNAVAILABLE", err)
	}
	if gerr.RetryDelay != 1500*time.Millisecond || gerr.TraceID != traceID {
		t.Errorf("RetryDelay %v, TraceID %q: want 1.5s and %s", gerr.RetryDelay, gerr.TraceID, traceID)
	}
	down.mu.Lock()
	defer down.mu.Unlock()
	if down.attempts != 5 { // maxAttempts in service_config.json
		t.Errorf("%d attempts, want the service config's 5", down.attempts)
	}
}

// failingChat streams started and a token, then fails as a chat whose model broke does.
type failingChat struct {
	v1.UnimplementedChatServiceServer
	traceID     string
	errorInfo   bool // attach ErrorInfo (whose metadata names the trace) to the status
	trailerOnly bool // name the trace only in the trailing metadata
}

func (f *failingChat) Chat(req *v1.ChatRequest, stream grpc.ServerStreamingServer[v1.ChatResponse]) error {
	if err := stream.Send(&v1.ChatResponse{Event: &v1.ChatResponse_Started{Started: &v1.ChatStarted{TraceId: f.traceID}}}); err != nil {
		return err
	}
	if err := stream.Send(&v1.ChatResponse{Event: &v1.ChatResponse_Token{Token: &v1.ChatToken{Text: "partial"}}}); err != nil {
		return err
	}
	if f.trailerOnly {
		stream.SetTrailer(metadata.Pairs(genaifeedback.TraceIDTrailer, f.traceID))
	}
	st := status.New(codes.Internal, "generator failed")
	if f.errorInfo {
		st, _ = st.WithDetails(&errdetails.ErrorInfo{Reason: "GENERATION_FAILED", Domain: genaifeedback.Domain, Metadata: map[string]string{"trace_id": f.traceID}})
	}
	return st.Err()
}

func TestFailedChatNamesItsTrace(t *testing.T) {
	for _, tc := range []struct {
		name   string
		server failingChat
	}{
		{"error info", failingChat{traceID: "tr-11111111111111111111111111111111", errorInfo: true}},
		{"trailer", failingChat{traceID: "tr-22222222222222222222222222222222", trailerOnly: true}},
		{"started event", failingChat{traceID: "tr-33333333333333333333333333333333"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := serve(t, func(s *grpc.Server) { v1.RegisterChatServiceServer(s, &tc.server) })
			stream, err := client.Chat(testContext(t), &v1.ChatRequest{Message: "hi"})
			if err != nil {
				t.Fatalf("Chat: %v", err)
			}
			text, err := stream.Collect()
			gerr, ok := genaifeedback.AsError(err)
			if !ok || gerr.Code != codes.Internal || text != "partial" {
				t.Fatalf("Collect = %q, %v; want the partial text and an INTERNAL *Error", text, err)
			}
			if gerr.TraceID != tc.server.traceID {
				t.Errorf("TraceID %q, want %q", gerr.TraceID, tc.server.traceID)
			}
			if tc.server.errorInfo != gerr.HasReason(v1.ErrorReason_GENERATION_FAILED) {
				t.Errorf("reason %q, domain %q", gerr.Reason, gerr.Domain)
			}
			if _, again := stream.Recv(); again != err {
				t.Errorf("Recv after the failure = %v, want the same error", again)
			}
			if stream.Finished() != nil {
				t.Errorf("Finished() = %v on a failed stream, want nil", stream.Finished())
			}
		})
	}
}
