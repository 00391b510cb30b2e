package io.github.genaifeedback.example;

import io.github.genaifeedback.client.ChatStream;
import io.github.genaifeedback.client.FieldViolation;
import io.github.genaifeedback.client.GenAIFeedbackClient;
import io.github.genaifeedback.client.GenAIFeedbackException;
import io.github.genaifeedback.v1.ChatFinished;
import io.github.genaifeedback.v1.FeedbackRecord;
import io.github.genaifeedback.v1.FeedbackSource;
import io.github.genaifeedback.v1.ListFeedbackRequest;
import io.github.genaifeedback.v1.SubmitFeedbackRequest;
import io.github.genaifeedback.v1.SubmitFeedbackResponse;
import io.github.genaifeedback.v1.SubmitRatingsResponse;
import java.time.Instant;
import java.util.Map;

/**
 * Chats, sends a thumbs up and a rating on the chat's trace, shows how a refused request reads,
 * then changes a vote, lists it with its history and deletes it. The service address is the first argument, else GENAIFEEDBACK_ADDRESS, else
 * 127.0.0.1:50051 (where {@code make run} serves).
 */
public final class Example {

  private Example() {}

  public static void main(String[] args) {
    String address =
        args.length > 0
            ? args[0]
            : System.getenv().getOrDefault("GENAIFEEDBACK_ADDRESS", GenAIFeedbackClient.DEFAULT_TARGET);
    try (GenAIFeedbackClient client = GenAIFeedbackClient.connect(address)) {
      String traceId;
      try (ChatStream chat = client.chat("What is MLflow good for?")) {
        traceId = chat.traceId();
        System.out.println("trace " + traceId);
        for (String token : chat) {
          System.out.print(token); // as it arrives
          System.out.flush();
        }
        ChatFinished finished = chat.finish();
        System.out.printf(
            "%n(%s, %d tokens)%n",
            finished.getFinishReason(), finished.getUsage().getTotalTokens());
      }

      // Answered once journaled: PENDING (on its way to MLflow) or STORED.
      SubmitFeedbackResponse thumbsUp = client.thumbsUp(traceId);
      System.out.println(
          "thumbs up recorded as " + thumbsUp.getAssessmentId() + ", " + thumbsUp.getState());

      // Answered once in MLflow (STORED), or PENDING just before the call's deadline.
      SubmitRatingsResponse ratings =
          client.withWaitUntilStored().submitRatings(traceId, Map.of("accuracy", 4, "helpfulness", 5));
      System.out.println(
          "ratings recorded as " + ratings.getAssessmentIdsMap() + ", " + ratings.getState());

      try {
        client.submitFeedback(
            SubmitFeedbackRequest.newBuilder()
                .setTraceId("not-a-trace-id")
                .setName("has.dots")
                .build());
      } catch (GenAIFeedbackException e) {
        System.out.println("refused: " + e.code() + ", reason " + e.reason());
        for (FieldViolation v : e.fieldViolations()) {
          System.out.println("  " + v.field() + " [" + v.reason() + "]: " + v.description());
        }
      }

      // A user's vote, then their change of mind: the new vote replaces the first, kept as history.
      GenAIFeedbackClient waiting = client.withWaitUntilStored();
      FeedbackSource user = FeedbackSource.newBuilder().setId("user-7").build();
      waiting.submitFeedback(
          SubmitFeedbackRequest.newBuilder()
              .setTraceId(traceId)
              .setBoolValue(true)
              .setSource(user)
              .build());
      SubmitFeedbackResponse down =
          waiting.submitFeedback(
              SubmitFeedbackRequest.newBuilder()
                  .setTraceId(traceId)
                  .setBoolValue(false)
                  .setSource(user)
                  .setClientTime(GenAIFeedbackClient.timestamp(Instant.now()))
                  .build());
      for (FeedbackRecord record :
          client.listFeedback(
              ListFeedbackRequest.newBuilder()
                  .setTraceId(traceId)
                  .setName("user_feedback")
                  .setIncludeHistory(true)
                  .build())) {
        System.out.printf(
            "  %s %s by %s current=%s%n",
            record.getAssessmentId(),
            record.getBoolValue(),
            record.getSource().getId(),
            record.getCurrent());
      }
      System.out.println(
          "deleted the vote and its history: "
              + client.deleteFeedback(traceId, down.getAssessmentId()).getDeletedAssessmentIdsList());
    }
  }
}
