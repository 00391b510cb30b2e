package genaifeedback_test

// Votes against a real service and MLflow (`make test`): ClientTime, GetFeedback, ListFeedback,
// CorrectFeedback, DeleteFeedback and EraseFeedbackBySource, checked against what MLflow stored.

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"go.genaifeedback.dev/client/genaifeedback"
	v1 "go.genaifeedback.dev/client/genaifeedbackv1"
)

const stateDeleted = v1.FeedbackState_FEEDBACK_STATE_DELETED

func vote(t *testing.T, client *genaifeedback.Client, target genaifeedback.Target, fb genaifeedback.Feedback) *genaifeedback.FeedbackResult {
	t.Helper()
	fb.WaitUntilStored = true // MLflow is read right after
	result, err := client.SubmitFeedback(testContext(t), target, fb)
	if err != nil || result.State != stateStored {
		t.Fatalf("SubmitFeedback %+v: %+v, %v; want STORED", fb, result, err)
	}
	return result
}

func list(t *testing.T, client *genaifeedback.Client, query genaifeedback.FeedbackQuery) []string {
	t.Helper()
	var ids []string
	for record, err := range client.ListFeedback(testContext(t), query) {
		if err != nil {
			t.Fatalf("ListFeedback %+v after %d records: %v", query, len(ids), err)
		}
		ids = append(ids, record.AssessmentID)
	}
	return ids
}

// valid reports whether MLflow holds the assessment as valid (a current vote).
func valid(a mlflowAssessment) bool { return a.Valid == nil || *a.Valid }

func TestLatestClientTimeWinsAndReadsBack(t *testing.T) {
	client := newClient(t)
	stream := chat(t, client, &v1.ChatRequest{Message: "Vote on me", ClientRequestId: uniqueID("go-votes")})
	trace := genaifeedback.TraceID(stream.TraceID())
	rater := genaifeedback.Human(uniqueID("rater"))
	now := time.Now().UTC().Truncate(time.Millisecond)

	later := vote(t, client, trace, genaifeedback.Feedback{Value: genaifeedback.Bool(true), Source: rater, Rationale: "good", ClientTime: now})
	// Sent second, given a minute earlier: it takes its place in the history, the first stays current.
	earlier := vote(t, client, genaifeedback.ClientRequestID(stream.ClientRequestID()), genaifeedback.Feedback{Value: genaifeedback.Bool(false), Source: rater, ClientTime: now.Add(-time.Minute)})

	stored := storedTrace(t, stream.TraceID()).assessments("user_feedback")
	slices.SortFunc(stored, func(a, b mlflowAssessment) int { return a.CreateTime.Compare(b.CreateTime) })
	if len(stored) != 2 || stored[0].AssessmentID != earlier.AssessmentID || valid(stored[0]) ||
		stored[1].AssessmentID != later.AssessmentID || !valid(stored[1]) || stored[1].Overrides != earlier.AssessmentID {
		t.Fatalf("MLflow holds %+v; want %s (not valid) overridden by %s (valid)", stored, earlier.AssessmentID, later.AssessmentID)
	}
	if !stored[0].CreateTime.Equal(now.Add(-time.Minute)) || !stored[1].CreateTime.Equal(now) {
		t.Errorf("MLflow create times %v, %v; want the client times %v, %v", stored[0].CreateTime, stored[1].CreateTime, now.Add(-time.Minute), now)
	}

	record, err := client.GetFeedback(testContext(t), trace, earlier.AssessmentID)
	if err != nil {
		t.Fatalf("GetFeedback: %v", err)
	}
	if record.Current || record.OverriddenBy != later.AssessmentID || record.Value != false || record.Name != "user_feedback" ||
		record.Source != rater || !record.CreateTime.Equal(now.Add(-time.Minute)) || record.TraceID != stream.TraceID() {
		t.Errorf("GetFeedback = %+v; want the replaced vote (false, by %v at %v), overridden by %s", record, rater, now.Add(-time.Minute), later.AssessmentID)
	}
	current, err := client.GetFeedback(testContext(t), genaifeedback.ClientRequestID(stream.ClientRequestID()), later.AssessmentID)
	if err != nil || !current.Current || current.Overrides != earlier.AssessmentID || current.Value != true || current.Rationale != "good" {
		t.Errorf("GetFeedback of the current vote = %+v, %v", current, err)
	}

	if got := list(t, client, genaifeedback.FeedbackQuery{Target: trace}); !slices.Equal(got, []string{later.AssessmentID}) {
		t.Errorf("current votes %v, want [%s]", got, later.AssessmentID)
	}
	history := list(t, client, genaifeedback.FeedbackQuery{Target: trace, IncludeHistory: true, Name: "user_feedback"})
	if !slices.Equal(history, []string{earlier.AssessmentID, later.AssessmentID}) {
		t.Errorf("history %v, want [%s %s] (oldest first)", history, earlier.AssessmentID, later.AssessmentID)
	}
}

func TestListFeedbackBySourceIteratesOverEveryPage(t *testing.T) {
	client := newClient(t)
	rater := genaifeedback.Human(uniqueID("pager"))
	var sent []string
	for range 3 {
		trace := genaifeedback.TraceID(chat(t, client, &v1.ChatRequest{Message: "Page me"}).TraceID())
		sent = append(sent, vote(t, client, trace, genaifeedback.Feedback{Value: genaifeedback.Number(4), Name: "user_rating", Source: rater}).AssessmentID)
		vote(t, client, trace, genaifeedback.Feedback{Value: genaifeedback.Bool(true), Source: genaifeedback.Human("someone-else")})
	}

	got := list(t, client, genaifeedback.FeedbackQuery{SourceID: rater.ID, PageSize: 2})
	slices.Sort(got)
	slices.Sort(sent)
	if !slices.Equal(got, sent) {
		t.Errorf("listed %v over pages of 2, want each of %v once", got, sent)
	}
	if got := list(t, client, genaifeedback.FeedbackQuery{SourceID: rater.ID, Start: time.Now().Add(time.Minute)}); len(got) != 0 {
		t.Errorf("listed %v from a minute ahead, want none", got)
	}

	// Both scopes: the service refuses it, and the loop ends with that error.
	var errs []error
	for _, err := range client.ListFeedback(testContext(t), genaifeedback.FeedbackQuery{SourceID: rater.ID, Target: genaifeedback.TraceID(unknownTraceID)}) {
		errs = append(errs, err)
	}
	if gerr, ok := genaifeedback.AsError(errs[len(errs)-1]); len(errs) != 1 || !ok || gerr.Code != codes.InvalidArgument {
		t.Errorf("a query with two scopes yielded %v, want one INVALID_ARGUMENT", errs)
	}
}

func TestCorrectThenDeleteWithHistoryThenAll(t *testing.T) {
	client := newClient(t)
	stream := chat(t, client, &v1.ChatRequest{Message: "Correct me", ClientRequestId: uniqueID("go-correct")})
	trace := genaifeedback.TraceID(stream.TraceID())
	rater := genaifeedback.Human(uniqueID("rater"))
	original := vote(t, client, trace, genaifeedback.Feedback{Value: genaifeedback.Number(5), Name: "user_rating", Source: rater})

	corrected, err := client.CorrectFeedback(testContext(t), genaifeedback.ClientRequestID(stream.ClientRequestID()), original.AssessmentID, genaifeedback.Correction{
		Value:           genaifeedback.Number(2),
		Source:          genaifeedback.Human("expert-7"),
		Rationale:       "the answer cites a deprecated API",
		WaitUntilStored: true,
	})
	if err != nil || corrected.State != stateStored || corrected.TraceID != stream.TraceID() {
		t.Fatalf("CorrectFeedback: %+v, %v", corrected, err)
	}
	byID := map[string]mlflowAssessment{}
	for _, a := range storedTrace(t, stream.TraceID()).assessments("user_rating") {
		byID[a.AssessmentID] = a
	}
	fixed := byID[corrected.AssessmentID]
	if len(byID) != 2 || valid(byID[original.AssessmentID]) || !valid(fixed) || fixed.Overrides != original.AssessmentID ||
		fixed.Feedback == nil || fixed.Feedback.Value != 2.0 || fixed.Source.SourceID != "expert-7" || fixed.Rationale != "the answer cites a deprecated API" {
		t.Fatalf("MLflow holds %+v; want the correction (2 by expert-7, valid) overriding %s", byID, original.AssessmentID)
	}
	_, err = client.CorrectFeedback(testContext(t), trace, corrected.AssessmentID, genaifeedback.Correction{Value: genaifeedback.Number(3), Source: genaifeedback.Human("expert-7")})
	if gerr, ok := genaifeedback.AsError(err); !ok || gerr.Code != codes.InvalidArgument || !slices.ContainsFunc(gerr.FieldViolations, func(v genaifeedback.FieldViolation) bool { return v.Field == "rationale" }) {
		t.Errorf("a correction without a reason: %v, want INVALID_ARGUMENT on rationale", err)
	}

	kept := vote(t, client, trace, genaifeedback.Feedback{Value: genaifeedback.Bool(true)})
	deleted, err := client.DeleteFeedback(testContext(t), trace, corrected.AssessmentID)
	if err != nil {
		t.Fatalf("DeleteFeedback: %v", err)
	}
	slices.Sort(deleted.DeletedAssessmentIDs)
	want := []string{original.AssessmentID, corrected.AssessmentID}
	slices.Sort(want)
	if deleted.TraceID != stream.TraceID() || !slices.Equal(deleted.DeletedAssessmentIDs, want) {
		t.Errorf("deleted %+v, want %v (the correction with the feedback it corrected)", deleted, want)
	}
	if left := storedTrace(t, stream.TraceID()).Assessments; len(left) != 1 || left[0].AssessmentID != kept.AssessmentID {
		t.Errorf("MLflow still holds %+v, want only %s", left, kept.AssessmentID)
	}
	// A late retry of the deleted vote records nothing.
	again, err := client.SubmitFeedback(testContext(t), trace, genaifeedback.Feedback{
		Value: genaifeedback.Number(5), Name: "user_rating", Source: rater, RequestID: original.RequestID, WaitUntilStored: true,
	})
	if err != nil || again.State != stateDeleted {
		t.Errorf("retrying the deleted vote: %+v, %v; want DELETED", again, err)
	}

	all, err := client.DeleteAllFeedback(testContext(t), genaifeedback.ClientRequestID(stream.ClientRequestID()))
	if err != nil || !slices.Equal(all.DeletedAssessmentIDs, []string{kept.AssessmentID}) {
		t.Errorf("DeleteAllFeedback: %+v, %v; want [%s]", all, err, kept.AssessmentID)
	}
	if left := storedTrace(t, stream.TraceID()).Assessments; len(left) != 0 {
		t.Errorf("MLflow still holds %+v after deleting all", left)
	}
	if _, err := client.GetFeedback(testContext(t), trace, kept.AssessmentID); err == nil {
		t.Error("GetFeedback of a deleted feedback succeeded")
	} else if gerr, ok := genaifeedback.AsError(err); !ok || gerr.Code != codes.NotFound || !gerr.HasReason(v1.ErrorReason_FEEDBACK_NOT_FOUND) {
		t.Errorf("GetFeedback of a deleted feedback: %v, want NOT_FOUND (FEEDBACK_NOT_FOUND)", err)
	}
}

func TestEraseFeedbackBySourceStreamsProgressAndReturnsTheTotals(t *testing.T) {
	client := newClient(t)
	rater := genaifeedback.Human(uniqueID("erase-me"))
	kept := map[string]string{}
	for range 2 {
		stream := chat(t, client, &v1.ChatRequest{Message: "Forget me"})
		trace := genaifeedback.TraceID(stream.TraceID())
		vote(t, client, trace, genaifeedback.Feedback{Value: genaifeedback.Bool(true), Source: rater})
		vote(t, client, trace, genaifeedback.Feedback{Value: genaifeedback.Bool(false), Source: rater})
		kept[stream.TraceID()] = vote(t, client, trace, genaifeedback.Feedback{Value: genaifeedback.Bool(true), Source: genaifeedback.Human("stays")}).AssessmentID
	}

	var reports []genaifeedback.EraseProgress
	totals, err := client.EraseFeedbackBySource(testContext(t), rater, func(p genaifeedback.EraseProgress) { reports = append(reports, p) })
	if err != nil {
		t.Fatalf("EraseFeedbackBySource: %v", err)
	}
	if !totals.Done || totals.FeedbackDeleted != 4 || totals.TracesChanged != 2 || totals.TracesScanned < 2 {
		t.Errorf("totals %+v, want done, 4 deleted on 2 traces", totals)
	}
	if len(reports) == 0 || reports[len(reports)-1] != *totals {
		t.Errorf("progress reports %+v, want the totals last", reports)
	}
	for traceID, assessmentID := range kept {
		if left := storedTrace(t, traceID).Assessments; len(left) != 1 || left[0].AssessmentID != assessmentID {
			t.Errorf("trace %s holds %+v, want only the other rater's %s", traceID, left, assessmentID)
		}
	}
	again, err := client.EraseFeedbackBySource(testContext(t), rater, nil)
	if err != nil || !again.Done || again.FeedbackDeleted != 0 {
		t.Errorf("erasing again: %+v, %v; want done, nothing deleted", again, err)
	}
}
