package genaifeedback_test

// Tests against a real service and a real MLflow tracking server, started by the repository's
// scripts/with_service.py (`make test`), which passes their addresses in the environment. What
// MLflow stored is read back through its REST API.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"go.genaifeedback.dev/client/genaifeedback"
	v1 "go.genaifeedback.dev/client/genaifeedbackv1"
)

var traceIDPattern = regexp.MustCompile(`^tr-[0-9a-f]{32}$`)

// unknownTraceID is no trace of the service's, and not recent: refused at once with NOT_FOUND.
const unknownTraceID = "tr-00000000000000000000000000000000"

const (
	statePending = v1.FeedbackState_FEEDBACK_STATE_PENDING
	stateStored  = v1.FeedbackState_FEEDBACK_STATE_STORED
)

func env(t *testing.T, name string) string {
	t.Helper()
	value := os.Getenv(name)
	if value == "" {
		t.Fatalf("%s is not set: run the tests through the harness, `make -C clients/go test` "+
			"(scripts/with_service.py starts the service and MLflow and sets it)", name)
	}
	return value
}

func newClient(t *testing.T) *genaifeedback.Client {
	t.Helper()
	client, err := genaifeedback.New(env(t, "GENAIFEEDBACK_ADDRESS"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// chat streams a whole chat and returns it, failing the test on any error.
func chat(t *testing.T, client *genaifeedback.Client, req *v1.ChatRequest) *genaifeedback.ChatStream {
	t.Helper()
	stream, err := client.Chat(testContext(t), req)
	if err != nil {
		t.Fatalf("Chat: %v", err)
	}
	if _, err := stream.Collect(); err != nil {
		t.Fatalf("reading the chat stream: %v", err)
	}
	return stream
}

// mlflowAssessment is one assessment as MLflow's REST API returns it.
type mlflowAssessment struct {
	AssessmentID   string `json:"assessment_id"`
	AssessmentName string `json:"assessment_name"`
	TraceID        string `json:"trace_id"`
	Source         struct {
		SourceType string `json:"source_type"`
		SourceID   string `json:"source_id"`
	} `json:"source"`
	Feedback *struct {
		Value any `json:"value"`
	} `json:"feedback"`
	Rationale  string            `json:"rationale"`
	Metadata   map[string]string `json:"metadata"`
	Valid      *bool             `json:"valid"`       // nil: MLflow's default, valid
	Overrides  string            `json:"overrides"`   // the assessment id this one overrides
	CreateTime time.Time         `json:"create_time"` // RFC 3339
}

type mlflowTraceInfo struct {
	TraceID     string             `json:"trace_id"`
	State       string             `json:"state"`
	Tags        map[string]string  `json:"tags"`
	Assessments []mlflowAssessment `json:"assessments"`
}

// storedTrace reads a trace from MLflow: GET /api/3.0/mlflow/traces/{trace_id}.
func storedTrace(t *testing.T, traceID string) mlflowTraceInfo {
	t.Helper()
	url := env(t, "GENAIFEEDBACK_MLFLOW_URL") + "/api/3.0/mlflow/traces/" + traceID
	req, err := http.NewRequestWithContext(testContext(t), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", url, resp.Status, body)
	}
	var decoded struct {
		Trace struct {
			TraceInfo mlflowTraceInfo `json:"trace_info"`
		} `json:"trace"`
	}
	if err := json.Unmarshal(body, &decoded); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	return decoded.Trace.TraceInfo
}

// assessments are the trace's assessments with this name.
func (info mlflowTraceInfo) assessments(name string) []mlflowAssessment {
	var found []mlflowAssessment
	for _, a := range info.Assessments {
		if a.AssessmentName == name {
			found = append(found, a)
		}
	}
	return found
}

func (info mlflowTraceInfo) only(t *testing.T, name string) mlflowAssessment {
	t.Helper()
	found := info.assessments(name)
	if len(found) != 1 {
		t.Fatalf("trace %s holds %d assessments named %q, want 1: %+v", info.TraceID, len(found), name, info.Assessments)
	}
	return found[0]
}

// uniqueID is a fresh id for names and client request ids, so tests never see each other's data.
func uniqueID(prefix string) string {
	return prefix + "-" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
}

func TestChatStreamsStartedTokensFinished(t *testing.T) {
	client := newClient(t)
	ctx := testContext(t)
	const message = "What does MLflow record for a chat?"
	requestID := uniqueID("go-chat")

	stream, err := client.Chat(ctx, &v1.ChatRequest{Message: message, ClientRequestId: requestID})
	if err != nil {
		t.Fatalf("Chat: %v", err)
	}
	// Chat returns once the started event is in, so the trace id is known before any token.
	if !traceIDPattern.MatchString(stream.TraceID()) {
		t.Fatalf("TraceID() = %q before reading, want an MLflow trace id", stream.TraceID())
	}
	if stream.ClientRequestID() != requestID {
		t.Errorf("ClientRequestID() = %q, want %q", stream.ClientRequestID(), requestID)
	}
	var tokens []string
	for {
		text, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Recv after %d tokens: %v", len(tokens), err)
		}
		tokens = append(tokens, text)
	}
	if len(tokens) == 0 || stream.Chunks() < 5 {
		t.Fatalf("got %d events, %d chunks; want several chunks: %q", len(tokens), stream.Chunks(), tokens)
	}
	text := strings.Join(tokens, "")
	// The built-in demo model (the harness's) answers "Demo answer to '<message>': ...".
	if !strings.HasPrefix(text, "Demo answer to") {
		t.Errorf("text %q, want it to start with %q", text, "Demo answer to")
	}
	if text != stream.Text() || strings.TrimSpace(text) == "" {
		t.Errorf("Text() = %q, tokens joined = %q; want the same, non-empty", stream.Text(), text)
	}
	finished := stream.Finished()
	if finished == nil {
		t.Fatal("Finished() is nil after the end of the stream")
	}
	if finished.GetTraceId() != stream.TraceID() || finished.GetClientRequestId() != requestID {
		t.Errorf("finished names trace %q, request %q; want %q, %q", finished.GetTraceId(), finished.GetClientRequestId(), stream.TraceID(), requestID)
	}
	if finished.GetFinishReason() != v1.FinishReason_FINISH_REASON_STOP || finished.GetUsage().GetOutputTokens() != int32(stream.Chunks()) {
		t.Errorf("finished = %v, want FINISH_REASON_STOP and %d output tokens (chunks, not events)", finished, stream.Chunks())
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Errorf("Recv after the end = %v, want io.EOF", err)
	}

	// The demo model is deterministic: the unary call gives the same text, tokens in the same order.
	complete, err := client.CompleteChat(ctx, &v1.CompleteChatRequest{Message: message})
	if err != nil {
		t.Fatalf("CompleteChat: %v", err)
	}
	if complete.GetText() != text {
		t.Errorf("CompleteChat text %q differs from the streamed %q", complete.GetText(), text)
	}
	if complete.GetTraceId() == stream.TraceID() || !traceIDPattern.MatchString(complete.GetTraceId()) {
		t.Errorf("CompleteChat trace id %q: want a new trace id", complete.GetTraceId())
	}
}

// A reader that falls behind may get several chunks in one event (adaptive coalescing): every
// chunk's text still arrives exactly once and in order (the same answer as CompleteChat), and the
// chunks counted match the usage's output tokens.
func TestSlowReaderGetsEveryChunkOnceInOrder(t *testing.T) {
	client := newClient(t)
	ctx := testContext(t)
	const message = "Read me slowly, please"
	stream, err := client.Chat(ctx, &v1.ChatRequest{Message: message})
	if err != nil {
		t.Fatalf("Chat: %v", err)
	}
	var pieces []string
	for text, err := range stream.Tokens() {
		if err != nil {
			t.Fatalf("Tokens: %v", err)
		}
		pieces = append(pieces, text)
		time.Sleep(20 * time.Millisecond) // ok: the slow reader is the scenario under test
	}
	complete, err := client.CompleteChat(ctx, &v1.CompleteChatRequest{Message: message})
	if err != nil {
		t.Fatalf("CompleteChat: %v", err)
	}
	if got := strings.Join(pieces, ""); got != complete.GetText() || got != stream.Text() {
		t.Errorf("slow reader got %q, Text() %q; want CompleteChat's %q", got, stream.Text(), complete.GetText())
	}
	if usage := stream.Finished().GetUsage().GetOutputTokens(); int32(stream.Chunks()) != usage || len(pieces) > stream.Chunks() {
		t.Errorf("%d events, %d chunks, usage %d output tokens: want chunks == usage >= events", len(pieces), stream.Chunks(), usage)
	}
}

// The wire contract itself, through the generated stub: started first, tokens, finished last.
func TestGeneratedStubEventOrder(t *testing.T) {
	conn, err := grpc.NewClient(env(t, "GENAIFEEDBACK_ADDRESS"),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultServiceConfig(genaifeedback.ServiceConfig))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	call, err := v1.NewChatServiceClient(conn).Chat(testContext(t), &v1.ChatRequest{Message: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	var events []*v1.ChatResponse
	for {
		event, err := call.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, event)
		kinds = append(kinds, fmt.Sprintf("%T", event.GetEvent()))
	}
	if len(events) < 3 || events[0].GetStarted() == nil || events[len(events)-1].GetFinished() == nil {
		t.Fatalf("events %v: want started, tokens..., finished", kinds)
	}
	for _, event := range events[1 : len(events)-1] {
		if event.GetToken() == nil {
			t.Fatalf("events %v: want only tokens between started and finished", kinds)
		}
	}
	if events[0].GetStarted().GetTraceId() != events[len(events)-1].GetFinished().GetTraceId() {
		t.Errorf("started and finished name different traces: %v, %v", events[0], events[len(events)-1])
	}
}

func TestFeedbackByTraceID(t *testing.T) {
	client := newClient(t)
	stream := chat(t, client, &v1.ChatRequest{Message: "Is this answer helpful?"})
	name := uniqueID("thumbs")

	result, err := client.SubmitFeedback(testContext(t), genaifeedback.TraceID(stream.TraceID()), genaifeedback.Feedback{
		Name:      name,
		Value:     genaifeedback.Bool(true),
		Rationale: "Clear and correct",
		Source:    genaifeedback.Human("user-42"),
		Metadata:  map[string]string{"app": "go-tests"},
		// MLflow is read right below: wait for the service to have stored it there.
		WaitUntilStored: true,
	})
	if err != nil {
		t.Fatalf("SubmitFeedback: %v", err)
	}
	if result.TraceID != stream.TraceID() || !strings.HasPrefix(result.AssessmentID, "a-") || result.State != stateStored {
		t.Errorf("result %+v: want an assessment id on trace %s, STORED", result, stream.TraceID())
	}
	if _, err := uuid.Parse(result.RequestID); err != nil {
		t.Errorf("generated request id %q is not a UUID: %v", result.RequestID, err)
	}

	stored := storedTrace(t, stream.TraceID()).only(t, name)
	if stored.AssessmentID != result.AssessmentID {
		t.Errorf("MLflow assessment id %s, client got %s", stored.AssessmentID, result.AssessmentID)
	}
	if stored.Feedback == nil || stored.Feedback.Value != true {
		t.Errorf("MLflow feedback %+v, want value true", stored.Feedback)
	}
	if stored.Rationale != "Clear and correct" || stored.Source.SourceType != "HUMAN" || stored.Source.SourceID != "user-42" {
		t.Errorf("MLflow stored rationale %q, source %+v", stored.Rationale, stored.Source)
	}
	if stored.Metadata["app"] != "go-tests" {
		t.Errorf("MLflow metadata %v, want app=go-tests", stored.Metadata)
	}
}

func TestFeedbackByClientRequestID(t *testing.T) {
	client := newClient(t)
	requestID := uniqueID("go-crid")
	stream := chat(t, client, &v1.ChatRequest{Message: "Tell me about traces", ClientRequestId: requestID})
	name := uniqueID("category")

	result, err := client.SubmitFeedback(testContext(t), genaifeedback.ClientRequestID(requestID), genaifeedback.Feedback{
		Name:            name,
		Value:           genaifeedback.String("off_topic"),
		Source:          genaifeedback.LLMJudge("judge-model"),
		WaitUntilStored: true,
	})
	if err != nil {
		t.Fatalf("SubmitFeedback: %v", err)
	}
	if result.TraceID != stream.TraceID() || result.State != stateStored {
		t.Errorf("feedback resolved to trace %s in state %s, want the chat's %s, STORED", result.TraceID, result.State, stream.TraceID())
	}
	stored := storedTrace(t, stream.TraceID()).only(t, name)
	if stored.AssessmentID != result.AssessmentID || stored.Feedback == nil || stored.Feedback.Value != "off_topic" {
		t.Errorf("MLflow holds %+v, want %s with value off_topic", stored, result.AssessmentID)
	}
	if stored.Source.SourceType != "LLM_JUDGE" || stored.Source.SourceID != "judge-model" {
		t.Errorf("MLflow source %+v, want LLM_JUDGE judge-model", stored.Source)
	}

	// A structured value, and a thumbs down with a comment, on the same target.
	structured, err := genaifeedback.JSON(map[string]any{"labels": []any{"too_long", "vague"}, "score": 2})
	if err != nil {
		t.Fatal(err)
	}
	jsonName := uniqueID("structured")
	jsonResult, err := client.SubmitFeedback(testContext(t), genaifeedback.ClientRequestID(requestID), genaifeedback.Feedback{Name: jsonName, Value: structured, WaitUntilStored: true})
	if err != nil || jsonResult.State != stateStored {
		t.Fatalf("SubmitFeedback with a JSON value: %+v, %v; want STORED", jsonResult, err)
	}
	down, err := client.SubmitFeedback(testContext(t), genaifeedback.ClientRequestID(requestID), genaifeedback.Feedback{Value: genaifeedback.Bool(false), Rationale: "Not what I asked", WaitUntilStored: true})
	if err != nil || down.State != stateStored {
		t.Fatalf("thumbs down: %+v, %v; want STORED", down, err)
	}
	info := storedTrace(t, stream.TraceID())
	got, _ := json.Marshal(info.only(t, jsonName).Feedback.Value)
	if string(got) != `{"labels":["too_long","vague"],"score":2}` {
		t.Errorf("MLflow JSON value %s", got)
	}
	var thumbsDown *mlflowAssessment
	for i, a := range info.assessments("user_feedback") {
		if a.AssessmentID == down.AssessmentID {
			thumbsDown = &info.assessments("user_feedback")[i]
		}
	}
	if thumbsDown == nil || thumbsDown.Feedback.Value != false || thumbsDown.Rationale != "Not what I asked" {
		t.Errorf("MLflow thumbs down %+v, want value false with the comment", thumbsDown)
	}
}

func TestRatingsOneAssessmentPerDimension(t *testing.T) {
	client := newClient(t)
	stream := chat(t, client, &v1.ChatRequest{Message: "Rate me"})
	dims := []genaifeedback.Rating{{Name: uniqueID("accuracy"), Score: 4}, {Name: uniqueID("helpfulness"), Score: 5}, {Name: uniqueID("relevance"), Score: 2}}

	result, err := client.SubmitRatings(testContext(t), genaifeedback.TraceID(stream.TraceID()), genaifeedback.Ratings{
		Ratings:         dims,
		Rationale:       "Mostly right",
		Source:          genaifeedback.Human("rater-1"),
		WaitUntilStored: true,
	})
	if err != nil {
		t.Fatalf("SubmitRatings: %v", err)
	}
	if result.TraceID != stream.TraceID() || len(result.AssessmentIDs) != len(dims) || result.State != stateStored {
		t.Fatalf("result %+v: want %d assessment ids on %s, STORED", result, len(dims), stream.TraceID())
	}
	info := storedTrace(t, stream.TraceID())
	for _, dim := range dims {
		stored := info.only(t, dim.Name)
		if stored.AssessmentID != result.AssessmentIDs[dim.Name] {
			t.Errorf("%s: MLflow assessment %s, client got %s", dim.Name, stored.AssessmentID, result.AssessmentIDs[dim.Name])
		}
		if stored.Feedback == nil || stored.Feedback.Value != float64(dim.Score) {
			t.Errorf("%s: MLflow value %+v, want %d", dim.Name, stored.Feedback, dim.Score)
		}
		if stored.Rationale != "Mostly right" || stored.Source.SourceID != "rater-1" {
			t.Errorf("%s: MLflow rationale %q, source %+v", dim.Name, stored.Rationale, stored.Source)
		}
	}
}

func TestInvalidArgumentHasReasonAndFieldViolations(t *testing.T) {
	client := newClient(t)
	stream := chat(t, client, &v1.ChatRequest{Message: "Invalid ratings follow"})

	_, err := client.SubmitRatings(testContext(t), genaifeedback.TraceID(stream.TraceID()), genaifeedback.Ratings{
		Ratings: []genaifeedback.Rating{{Name: "accuracy", Score: 9}, {Name: "accuracy", Score: 3}, {Name: "bad.name", Score: 1}},
	})
	gerr, ok := genaifeedback.AsError(err)
	if !ok {
		t.Fatalf("SubmitRatings error %v (%T), want a *genaifeedback.Error", err, err)
	}
	if gerr.Code != codes.InvalidArgument || status.Code(err) != codes.InvalidArgument {
		t.Errorf("code %v, want InvalidArgument", gerr.Code)
	}
	if !gerr.HasReason(v1.ErrorReason_INVALID_FIELD) || gerr.ErrorReason() != v1.ErrorReason_INVALID_FIELD {
		t.Errorf("reason %q in domain %q, want INVALID_FIELD in %q", gerr.Reason, gerr.Domain, genaifeedback.Domain)
	}
	want := map[string]v1.FieldViolationReason{
		"ratings[0].score": v1.FieldViolationReason_OUT_OF_RANGE,
		"ratings[1].name":  v1.FieldViolationReason_DUPLICATE,
		"ratings[2].name":  v1.FieldViolationReason_INVALID_FORMAT,
	}
	for field, reason := range want {
		i := slices.IndexFunc(gerr.FieldViolations, func(v genaifeedback.FieldViolation) bool { return v.Field == field })
		switch {
		case i < 0:
			t.Errorf("no violation of %s in %+v", field, gerr.FieldViolations)
		case !gerr.FieldViolations[i].HasReason(reason) || gerr.FieldViolations[i].Description == "":
			t.Errorf("violation %+v, want reason %s and a description", gerr.FieldViolations[i], reason)
		}
	}
	if len(gerr.FieldViolations) != len(want) {
		t.Errorf("violations %+v, want exactly %d", gerr.FieldViolations, len(want))
	}

	// A chat the service refuses fails in Chat itself, before any event.
	_, err = client.Chat(testContext(t), &v1.ChatRequest{Message: "  "})
	gerr, ok = genaifeedback.AsError(err)
	if !ok || gerr.Code != codes.InvalidArgument || !gerr.HasReason(v1.ErrorReason_INVALID_FIELD) {
		t.Fatalf("Chat with a blank message: %v, want INVALID_ARGUMENT with reason INVALID_FIELD", err)
	}
	if len(gerr.FieldViolations) != 1 || gerr.FieldViolations[0].Field != "message" || !gerr.FieldViolations[0].HasReason(v1.FieldViolationReason_REQUIRED) {
		t.Errorf("violations %+v, want message REQUIRED", gerr.FieldViolations)
	}
}

func TestNotFoundHasReasonTraceNotFound(t *testing.T) {
	client := newClient(t)

	_, err := client.ThumbsUp(testContext(t), genaifeedback.TraceID(unknownTraceID))
	gerr, ok := genaifeedback.AsError(err)
	if !ok {
		t.Fatalf("ThumbsUp on an unknown trace: %v (%T), want a *genaifeedback.Error", err, err)
	}
	if gerr.Code != codes.NotFound || !gerr.HasReason(v1.ErrorReason_TRACE_NOT_FOUND) {
		t.Errorf("got %v (reason %q, domain %q), want NOT_FOUND with reason TRACE_NOT_FOUND", gerr, gerr.Reason, gerr.Domain)
	}
	if gerr.Metadata["trace_id"] != unknownTraceID || gerr.TraceID != unknownTraceID {
		t.Errorf("metadata %v, TraceID %q: want trace_id %s", gerr.Metadata, gerr.TraceID, unknownTraceID)
	}
	if gerr.Resource == nil || !strings.Contains(gerr.Resource.Name, unknownTraceID) {
		t.Errorf("resource info %+v, want one naming %s", gerr.Resource, unknownTraceID)
	}

	// No feedback was ever sent there either: GetFeedbackStatus knows none, by either key.
	neverSent := "a-" + strings.ReplaceAll(uuid.NewString(), "-", "")
	_, err = client.GetFeedbackStatus(testContext(t), genaifeedback.TraceID(unknownTraceID), genaifeedback.ByAssessmentID(neverSent))
	if gerr, ok := genaifeedback.AsError(err); !ok || gerr.Code != codes.NotFound || !gerr.HasReason(v1.ErrorReason_FEEDBACK_NOT_FOUND) || gerr.Metadata["assessment_id"] != neverSent {
		t.Errorf("status of assessment %s, never sent: %v, want NOT_FOUND with reason FEEDBACK_NOT_FOUND naming it", neverSent, err)
	}
	_, err = client.GetFeedbackStatus(testContext(t), genaifeedback.ClientRequestID(uniqueID("never-sent")), genaifeedback.ByRequestID(uuid.NewString()))
	if gerr, ok := genaifeedback.AsError(err); !ok || gerr.Code != codes.NotFound || !gerr.HasReason(v1.ErrorReason_FEEDBACK_NOT_FOUND) {
		t.Errorf("status by a request id never sent: %v, want NOT_FOUND with reason FEEDBACK_NOT_FOUND", err)
	}
}

func TestSameRequestIDRecordsOnce(t *testing.T) {
	client := newClient(t)
	stream := chat(t, client, &v1.ChatRequest{Message: "Retry me"})
	name := uniqueID("retried")
	feedback := genaifeedback.Feedback{Name: name, Value: genaifeedback.Number(3), RequestID: uuid.NewString(), WaitUntilStored: true}

	first, err := client.SubmitFeedback(testContext(t), genaifeedback.TraceID(stream.TraceID()), feedback)
	if err != nil || first.State != stateStored {
		t.Fatalf("first SubmitFeedback: %+v, %v; want STORED", first, err)
	}
	// The same request again, without waiting: the first call's assessment, and its state.
	feedback.WaitUntilStored = false
	again, err := client.SubmitFeedback(testContext(t), genaifeedback.TraceID(stream.TraceID()), feedback)
	if err != nil {
		t.Fatalf("SubmitFeedback again with the same request id: %v", err)
	}
	if again.AssessmentID != first.AssessmentID || again.State != stateStored {
		t.Errorf("same request id gave assessments %s and %s (%s), want the same, STORED", first.AssessmentID, again.AssessmentID, again.State)
	}
	if stored := storedTrace(t, stream.TraceID()).only(t, name); stored.AssessmentID != first.AssessmentID {
		t.Errorf("MLflow holds %s, want %s", stored.AssessmentID, first.AssessmentID)
	}

	// The same request id for a different action is refused, and records nothing.
	feedback.Value = genaifeedback.Number(4)
	_, err = client.SubmitFeedback(testContext(t), genaifeedback.TraceID(stream.TraceID()), feedback)
	if gerr, ok := genaifeedback.AsError(err); !ok || gerr.Code != codes.AlreadyExists || !gerr.HasReason(v1.ErrorReason_REQUEST_ID_REUSED) {
		t.Errorf("request id reused for another value: %v, want ALREADY_EXISTS with reason REQUEST_ID_REUSED", err)
	}
	storedTrace(t, stream.TraceID()).only(t, name)
}

// waitSettled polls GetFeedbackStatus until the feedback is settled (STORED, EXPIRED or
// REJECTED), for at most the test context's minute, backing off between polls.
func waitSettled(t *testing.T, client *genaifeedback.Client, target genaifeedback.Target, ref genaifeedback.FeedbackRef) *genaifeedback.FeedbackStatus {
	t.Helper()
	ctx := testContext(t)
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 500*time.Millisecond) {
		status, err := client.GetFeedbackStatus(ctx, target, ref)
		if err != nil {
			t.Fatalf("GetFeedbackStatus(%s, %s): %v", target, ref, err)
		}
		if status.Settled() {
			return status
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s on %s is still %s after a minute", ref, target, status.State)
		case <-time.After(delay):
		}
	}
}

// Without WaitUntilStored a call answers once the service has journaled the feedback, usually
// before MLflow has it; GetFeedbackStatus tells when it is there.
func TestFeedbackWithoutWaitingBecomesStored(t *testing.T) {
	client := newClient(t)
	requestID := uniqueID("go-pending")
	stream := chat(t, client, &v1.ChatRequest{Message: "Acknowledge me early", ClientRequestId: requestID})
	byRequest := genaifeedback.ClientRequestID(requestID)
	byTrace := genaifeedback.TraceID(stream.TraceID())

	down, err := client.ThumbsDown(testContext(t), byRequest, "Too vague")
	if err != nil {
		t.Fatalf("ThumbsDown: %v", err)
	}
	if (down.State != statePending && down.State != stateStored) || !strings.HasPrefix(down.AssessmentID, "a-") {
		t.Fatalf("ThumbsDown answered %+v, want an assessment id, PENDING or STORED", down)
	}
	dims := []genaifeedback.Rating{{Name: uniqueID("clarity"), Score: 2}, {Name: uniqueID("depth"), Score: 3}}
	ratings, err := client.SubmitRatings(testContext(t), byTrace, genaifeedback.Ratings{Ratings: dims})
	if err != nil {
		t.Fatalf("SubmitRatings: %v", err)
	}
	if (ratings.State != statePending && ratings.State != stateStored) || len(ratings.AssessmentIDs) != len(dims) {
		t.Fatalf("SubmitRatings answered %+v, want %d assessment ids, PENDING or STORED", ratings, len(dims))
	}

	t.Logf("answered in state %s (thumbs down), %s (ratings)", down.State, ratings.State)

	// By request id, with the target the feedback was sent to.
	status := waitSettled(t, client, byRequest, genaifeedback.ByRequestID(down.RequestID))
	if status.State != stateStored || status.TraceID != stream.TraceID() || status.Reason != "" ||
		!maps.Equal(status.AssessmentIDs, map[string]string{"user_feedback": down.AssessmentID}) {
		t.Errorf("thumbs down status %+v, want STORED on %s as %s", status, stream.TraceID(), down.AssessmentID)
	}
	// By assessment id: for ratings, the first dimension's in name order.
	first := min(dims[0].Name, dims[1].Name)
	status = waitSettled(t, client, byTrace, genaifeedback.ByAssessmentID(ratings.AssessmentIDs[first]))
	if status.State != stateStored || status.TraceID != stream.TraceID() || !maps.Equal(status.AssessmentIDs, ratings.AssessmentIDs) {
		t.Errorf("ratings status %+v, want STORED on %s as %v", status, stream.TraceID(), ratings.AssessmentIDs)
	}
	// Asked again by the other key, or naming the trace the other way, the answer is the same.
	for _, ask := range []struct {
		target genaifeedback.Target
		ref    genaifeedback.FeedbackRef
	}{
		{byTrace, genaifeedback.ByAssessmentID(down.AssessmentID)},
		{byRequest, genaifeedback.ByAssessmentID(ratings.AssessmentIDs[first])},
		{byTrace, genaifeedback.ByRequestID(ratings.RequestID)},
	} {
		status, err := client.GetFeedbackStatus(testContext(t), ask.target, ask.ref)
		if err != nil || status.State != stateStored || status.TraceID != stream.TraceID() {
			t.Errorf("GetFeedbackStatus(%s, %s) = %+v, %v; want STORED on %s", ask.target, ask.ref, status, err, stream.TraceID())
		}
	}

	info := storedTrace(t, stream.TraceID())
	thumbs := info.only(t, "user_feedback")
	if thumbs.AssessmentID != down.AssessmentID || thumbs.Feedback == nil || thumbs.Feedback.Value != false || thumbs.Rationale != "Too vague" {
		t.Errorf("MLflow thumbs down %+v, want %s, false, with the comment", thumbs, down.AssessmentID)
	}
	for _, dim := range dims {
		if stored := info.only(t, dim.Name); stored.AssessmentID != ratings.AssessmentIDs[dim.Name] || stored.Feedback == nil || stored.Feedback.Value != float64(dim.Score) {
			t.Errorf("MLflow %s: %+v, want %s with %d", dim.Name, stored, ratings.AssessmentIDs[dim.Name], dim.Score)
		}
	}
}

// A target the service cannot find yet but whose trace may still appear (a client_request_id it
// has not seen, or a trace id of its form stamped a moment ago: another replica may be exporting
// that chat) is accepted as PENDING; it would become EXPIRED if nothing appeared within the
// attach window (10 minutes, longer than the tests).
func TestTargetsThatMayStillAppearArePending(t *testing.T) {
	client := newClient(t)

	unseen := genaifeedback.ClientRequestID(uniqueID("not-sent-yet"))
	ratings, err := client.SubmitRatings(testContext(t), unseen, genaifeedback.Ratings{Ratings: []genaifeedback.Rating{{Name: "accuracy", Score: 3}}})
	if err != nil || ratings.State != statePending || ratings.TraceID != "" {
		t.Fatalf("ratings for an unseen client request id: %+v, %v; want PENDING with no trace yet", ratings, err)
	}
	status, err := client.GetFeedbackStatus(testContext(t), unseen, genaifeedback.ByRequestID(ratings.RequestID))
	if err != nil || status.State != statePending || status.Settled() || status.TraceID != "" || !maps.Equal(status.AssessmentIDs, ratings.AssessmentIDs) {
		t.Errorf("its status: %+v, %v; want PENDING as %v, no trace yet", status, err, ratings.AssessmentIDs)
	}

	// The service's trace ids start with their start time in milliseconds (48 bits).
	recentID := fmt.Sprintf("tr-%012x%s", time.Now().UnixMilli(), strings.ReplaceAll(uuid.NewString(), "-", "")[:20])
	// Waiting for MLflow with a short deadline: the answer comes just before it, PENDING.
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	result, err := client.SubmitFeedback(ctx, genaifeedback.TraceID(recentID), genaifeedback.Feedback{Value: genaifeedback.Bool(true), WaitUntilStored: true})
	if err != nil || result.State != statePending || result.TraceID != recentID {
		t.Fatalf("waiting feedback on a recent unknown trace: %+v, %v; want PENDING on %s before the deadline", result, err, recentID)
	}
}
