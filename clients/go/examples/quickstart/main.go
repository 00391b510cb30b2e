// Quickstart: chat with the service, then send a thumbs up and a rating for the chat's trace, show
// how a refused request reads, then change the vote, list it with its history and delete it.
//
//	go run ./examples/quickstart -address 127.0.0.1:50051
//
// The address defaults to $GENAIFEEDBACK_ADDRESS, then 127.0.0.1:50051 (`make run` at the
// repository root serves there).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"go.genaifeedback.dev/client/genaifeedback"
	v1 "go.genaifeedback.dev/client/genaifeedbackv1"
)

func main() {
	address := flag.String("address", envOr("GENAIFEEDBACK_ADDRESS", "127.0.0.1:50051"), "the service's host:port")
	message := flag.String("message", "How do I collect user feedback on a GenAI app?", "what to ask")
	flag.Parse()
	if err := run(*address, *message); err != nil {
		log.Fatal(err)
	}
}

func run(address, message string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client, err := genaifeedback.New(address)
	if err != nil {
		return err
	}
	defer client.Close()

	// 1. Stream a chat: the trace id is known before the first token.
	stream, err := client.Chat(ctx, &v1.ChatRequest{Message: message, UserId: "user-7"})
	if err != nil {
		return fmt.Errorf("chat: %w", err)
	}
	fmt.Printf("trace %s\n> ", stream.TraceID())
	for text, err := range stream.Tokens() {
		if err != nil {
			return fmt.Errorf("chat stream: %w", err)
		}
		fmt.Print(text)
	}
	fmt.Printf("\n(%s, %d tokens)\n", stream.Finished().GetFinishReason(), stream.Finished().GetUsage().GetOutputTokens())
	trace := genaifeedback.TraceID(stream.TraceID())

	// 2. A thumbs up from the user, with a comment, answered once it is in MLflow.
	thumbs, err := client.SubmitFeedback(ctx, trace, genaifeedback.Feedback{
		Value:           genaifeedback.Bool(true),
		Rationale:       "Clear answer",
		Source:          genaifeedback.Human("user-7"),
		WaitUntilStored: true,
	})
	if err != nil {
		return fmt.Errorf("thumbs up: %w", err)
	}
	fmt.Printf("thumbs up recorded as assessment %s (%s)\n", thumbs.AssessmentID, thumbs.State)

	// 3. Ratings of several dimensions, one assessment each, answered as soon as the service has
	// journaled them (usually PENDING: on their way to MLflow); ask later what became of them.
	ratings, err := client.SubmitRatings(ctx, trace, genaifeedback.Ratings{
		Ratings: []genaifeedback.Rating{{Name: "accuracy", Score: 4}, {Name: "helpfulness", Score: 5}},
		Source:  genaifeedback.Human("user-7"),
	})
	if err != nil {
		return fmt.Errorf("ratings: %w", err)
	}
	fmt.Printf("ratings recorded: %v (%s)\n", ratings.AssessmentIDs, ratings.State)
	status, err := client.GetFeedbackStatus(ctx, trace, genaifeedback.ByRequestID(ratings.RequestID))
	if err != nil {
		return fmt.Errorf("ratings status: %w", err)
	}
	fmt.Printf("ratings now: %s\n", status.State)

	// 4. A request the service refuses: the error says why, field by field.
	_, err = client.SubmitRatings(ctx, trace, genaifeedback.Ratings{
		Ratings: []genaifeedback.Rating{{Name: "accuracy", Score: 9}, {Name: "accuracy", Score: 3}},
	})
	var gerr *genaifeedback.Error
	if !errors.As(err, &gerr) {
		return fmt.Errorf("invalid ratings: want a refusal, got %v", err)
	}
	fmt.Printf("refused: code %s, reason %s\n", gerr.Code, gerr.Reason)
	for _, v := range gerr.FieldViolations {
		fmt.Printf("  %s: %s (%s)\n", v.Field, v.Description, v.Reason)
	}

	// 5. Feedback on a trace that does not exist.
	_, err = client.ThumbsUp(ctx, genaifeedback.TraceID("tr-00000000000000000000000000000000"))
	if errors.As(err, &gerr) && gerr.HasReason(v1.ErrorReason_TRACE_NOT_FOUND) {
		fmt.Printf("unknown trace: %s\n", gerr.TraceID)
	} else {
		fmt.Printf("unknown trace: %v\n", err)
	}

	// 6. The user changes their mind: their new vote replaces the thumbs up, which MLflow keeps as
	// history. List the trace's feedback with that history, then delete the vote with it.
	down, err := client.SubmitFeedback(ctx, trace, genaifeedback.Feedback{
		Value:           genaifeedback.Bool(false),
		Source:          genaifeedback.Human("user-7"),
		ClientTime:      time.Now(),
		WaitUntilStored: true,
	})
	if err != nil {
		return fmt.Errorf("thumbs down: %w", err)
	}
	for record, err := range client.ListFeedback(ctx, genaifeedback.FeedbackQuery{Target: trace, Name: "user_feedback", IncludeHistory: true}) {
		if err != nil {
			return fmt.Errorf("list: %w", err)
		}
		fmt.Printf("  %s %v by %s current=%t\n", record.AssessmentID, record.Value, record.Source.ID, record.Current)
	}
	deleted, err := client.DeleteFeedback(ctx, trace, down.AssessmentID)
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	fmt.Printf("deleted the vote and its history: %v\n", deleted.DeletedAssessmentIDs)
	return nil
}

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}
