package io.github.genaifeedback.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.genaifeedback.v1.ChatFinished;
import io.github.genaifeedback.v1.ChatRequest;
import io.github.genaifeedback.v1.DimensionRating;
import io.github.genaifeedback.v1.ErrorReason;
import io.github.genaifeedback.v1.FeedbackSource;
import io.github.genaifeedback.v1.FeedbackState;
import io.github.genaifeedback.v1.FieldViolationReason;
import io.github.genaifeedback.v1.GetFeedbackStatusRequest;
import io.github.genaifeedback.v1.GetFeedbackStatusResponse;
import io.github.genaifeedback.v1.SourceType;
import io.github.genaifeedback.v1.SubmitFeedbackRequest;
import io.github.genaifeedback.v1.SubmitFeedbackResponse;
import io.github.genaifeedback.v1.SubmitRatingsRequest;
import io.github.genaifeedback.v1.SubmitRatingsResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The client against the real service and MLflow started by scripts/with_service.py. */
class GenAIFeedbackClientTest {

  private static final Pattern TRACE_ID = Pattern.compile("tr-[0-9a-f]{32}");
  private static final Pattern ASSESSMENT_ID = Pattern.compile("a-[0-9a-f]{32}");
  private static final String UNKNOWN_TRACE = "tr-00000000000000000000000000000000";

  private static final Set<FeedbackState> ACKNOWLEDGED =
      Set.of(FeedbackState.FEEDBACK_STATE_PENDING, FeedbackState.FEEDBACK_STATE_STORED);

  private static GenAIFeedbackClient client;
  /** The same client, waiting for MLflow: for tests that read MLflow right after submitting. */
  private static GenAIFeedbackClient waiting;

  @BeforeAll
  static void connect() {
    client = GenAIFeedbackClient.connect(TestService.ADDRESS);
    waiting = client.withWaitUntilStored();
  }

  @AfterAll
  static void close() {
    client.close();
  }

  /** A finished chat: its trace is ready for feedback. */
  private static ChatStream finishedChat(ChatRequest request) {
    try (ChatStream chat = client.chat(request)) {
      chat.finish();
      return chat;
    }
  }

  @Test
  void chatStreamsStartedThenTokensThenFinishedWithTheSameTraceId() {
    List<String> tokens = new ArrayList<>();
    ChatFinished finished;
    String traceId;
    try (ChatStream chat = client.chat("What does MLflow record for a chat?")) {
      traceId = chat.traceId(); // from the started event, before any token
      assertTrue(TRACE_ID.matcher(traceId).matches(), traceId);
      assertFalse(chat.clientRequestId().isEmpty(), "a client_request_id is generated and echoed");
      assertTrue(chat.finished().isEmpty());
      for (String token : chat) {
        tokens.add(token);
      }
      finished = chat.finished().orElseThrow();
      assertEquals(String.join("", tokens), chat.text());
      assertTrue(chat.isDone());
    }
    assertFalse(tokens.isEmpty());
    assertFalse(String.join("", tokens).isBlank());
    assertEquals(traceId, finished.getTraceId());
    assertTrue(finished.getUsage().getOutputTokens() > 1);

    // MLflow stored the answer as streamed, in order (a feedback stored in MLflow implies its trace).
    assertEquals(FeedbackState.FEEDBACK_STATE_STORED, waiting.thumbsUp(traceId).getState());
    String preview = TestService.traceInfo(traceId).get("response_preview").getAsString();
    assertEquals(String.join("", tokens), JsonParser.parseString(preview).getAsString());
  }

  @Test
  void aSlowReaderGetsEveryChunkOnceInOrder() throws InterruptedException {
    // A reader that falls behind may get several chunks in one event (adaptive coalescing): the
    // text is still every chunk once, in order (CompleteChat's answer), and chunks match usage.
    String message = "Read me slowly, please";
    List<String> pieces = new ArrayList<>();
    try (ChatStream chat = client.chat(message)) {
      for (String piece : chat) {
        pieces.add(piece);
        Thread.sleep(20); // ok: the slow reader is the scenario under test
      }
      int outputTokens = chat.finished().orElseThrow().getUsage().getOutputTokens();
      assertEquals(outputTokens, chat.chunks());
      assertTrue(pieces.size() <= chat.chunks(), pieces.size() + " events, " + chat.chunks() + " chunks");
    }
    assertEquals(client.completeChat(message).getText(), String.join("", pieces));
  }

  @Test
  void aSlowReaderOnASmallWindowGetsTheChunksCoalescedOnceInOrder() throws InterruptedException {
    // A 256-byte receive window (no auto-tuning): while this reader sleeps, the service's sends
    // wait, the demo model's chunks (1 ms apart) pile up, and go out together.
    ManagedChannel channel =
        NettyChannelBuilder.forTarget(TestService.ADDRESS)
            .usePlaintext()
            .initialFlowControlWindow(256)
            .build();
    String message = "Coalesce me, please";
    List<String> pieces = new ArrayList<>();
    try (ChatStream chat = GenAIFeedbackClient.forChannel(channel).chat(message)) {
      for (String piece : chat) {
        pieces.add(piece);
        Thread.sleep(20); // ok: the slow reader is the scenario under test
      }
      int outputTokens = chat.finished().orElseThrow().getUsage().getOutputTokens();
      assertEquals(outputTokens, chat.chunks());
      assertTrue(pieces.size() < chat.chunks(), pieces.size() + " events for " + chat.chunks() + " chunks");
    } finally {
      channel.shutdownNow();
    }
    assertEquals(client.completeChat(message).getText(), String.join("", pieces));
  }

  @Test
  void closingAStreamEarlyHangsUpQuietly() {
    ChatStream chat = client.chat("Hang up after the first token");
    try (chat) {
      assertTrue(chat.iterator().hasNext());
      chat.iterator().next();
    }
    assertTrue(chat.isDone());
    assertFalse(chat.iterator().hasNext(), "no more tokens after close");
    assertTrue(chat.finished().isEmpty());
    // The hung-up chat's trace still takes feedback. (Whether MLflow records it as cancelled or
    // finished depends on whether the hang-up beat the demo model's last token: not asserted.)
    SubmitFeedbackResponse response = client.thumbsDown(chat.traceId());
    assertEquals(chat.traceId(), response.getTraceId());
    assertTrue(ACKNOWLEDGED.contains(response.getState()), response::toString);
  }

  @Test
  void feedbackByTraceIdIsStoredInMlflow() {
    ChatStream chat = finishedChat(ChatRequest.newBuilder().setMessage("Rate me").build());
    SubmitFeedbackResponse response =
        client.submitFeedback(
            SubmitFeedbackRequest.newBuilder()
                .setTraceId(chat.traceId())
                .setBoolValue(true)
                .setRationale("clear and correct")
                .setSource(
                    FeedbackSource.newBuilder()
                        .setType(SourceType.SOURCE_TYPE_HUMAN)
                        .setId("user-42"))
                .putMetadata("channel", "java-test")
                .setWaitUntilStored(true) // on the request itself, for a client that does not wait
                .build());
    assertEquals(chat.traceId(), response.getTraceId());
    assertEquals(FeedbackState.FEEDBACK_STATE_STORED, response.getState());
    assertTrue(ASSESSMENT_ID.matcher(response.getAssessmentId()).matches());

    JsonObject stored = TestService.assessment(chat.traceId(), response.getAssessmentId());
    assertEquals("user_feedback", stored.get("assessment_name").getAsString());
    assertTrue(stored.getAsJsonObject("feedback").get("value").getAsBoolean());
    assertEquals("clear and correct", stored.get("rationale").getAsString());
    assertEquals("HUMAN", stored.getAsJsonObject("source").get("source_type").getAsString());
    assertEquals("user-42", stored.getAsJsonObject("source").get("source_id").getAsString());
    assertEquals("java-test", stored.getAsJsonObject("metadata").get("channel").getAsString());
  }

  @Test
  void feedbackByClientRequestIdLandsOnTheChatsTrace() {
    String clientRequestId = "java-" + UUID.randomUUID();
    ChatStream chat =
        finishedChat(
            ChatRequest.newBuilder()
                .setMessage("Tell me about feedback")
                .setClientRequestId(clientRequestId)
                .build());
    assertEquals(clientRequestId, chat.clientRequestId());

    SubmitFeedbackResponse response =
        waiting.submitFeedback(
            SubmitFeedbackRequest.newBuilder()
                .setClientRequestId(clientRequestId)
                .setName("topic")
                .setStringValue("on_topic")
                .build());
    assertEquals(chat.traceId(), response.getTraceId());
    assertEquals(FeedbackState.FEEDBACK_STATE_STORED, response.getState());

    JsonObject stored = TestService.assessment(chat.traceId(), response.getAssessmentId());
    assertEquals("topic", stored.get("assessment_name").getAsString());
    assertEquals("on_topic", stored.getAsJsonObject("feedback").get("value").getAsString());
  }

  @Test
  void ratingsStoreOneAssessmentPerDimension() {
    ChatStream chat = finishedChat(ChatRequest.newBuilder().setMessage("Rate dimensions").build());
    Map<String, Integer> scores = Map.of("accuracy", 4, "helpfulness", 5, "relevance", 2);
    SubmitRatingsResponse response = waiting.submitRatings(chat.traceId(), scores);
    assertEquals(chat.traceId(), response.getTraceId());
    assertEquals(FeedbackState.FEEDBACK_STATE_STORED, response.getState());
    assertEquals(scores.keySet(), response.getAssessmentIdsMap().keySet());

    List<JsonObject> stored = TestService.assessments(chat.traceId());
    assertEquals(3, stored.size(), stored::toString);
    scores.forEach(
        (name, score) -> {
          JsonObject assessment =
              TestService.assessment(chat.traceId(), response.getAssessmentIdsOrThrow(name));
          assertEquals(name, assessment.get("assessment_name").getAsString());
          assertEquals(score.doubleValue(), assessment.getAsJsonObject("feedback").get("value").getAsDouble());
        });
  }

  @Test
  @SuppressWarnings("removal") // the deprecated name, kept until 0.3.0, still works
  void deprecatedRateStillSubmitsRatings() {
    ChatStream chat = finishedChat(ChatRequest.newBuilder().setMessage("Rate, old name").build());
    SubmitRatingsResponse response = waiting.rate(chat.traceId(), Map.of("accuracy", 3));
    assertEquals(FeedbackState.FEEDBACK_STATE_STORED, response.getState());
    JsonObject stored = TestService.assessment(chat.traceId(), response.getAssessmentIdsOrThrow("accuracy"));
    assertEquals(3.0, stored.getAsJsonObject("feedback").get("value").getAsDouble());
  }

  @Test
  void invalidFeedbackListsEveryFieldViolation() {
    GenAIFeedbackException error =
        assertThrows(
            GenAIFeedbackException.class,
            () ->
                client.submitFeedback(
                    SubmitFeedbackRequest.newBuilder().setTraceId("not-a-trace-id").build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, error.code());
    assertEquals("INVALID_FIELD", error.reason());
    assertEquals(ErrorReason.INVALID_FIELD, error.errorReason());
    assertEquals(GenAIFeedbackException.DOMAIN, error.domain());
    assertViolation(error, "trace_id", FieldViolationReason.INVALID_FORMAT);
    assertViolation(error, "value", FieldViolationReason.REQUIRED);
    assertTrue(error.getMessage().startsWith("INVALID_ARGUMENT (INVALID_FIELD): "), error.getMessage());
  }

  @Test
  void invalidChatIsRefusedBeforeItStarts() {
    GenAIFeedbackException error =
        assertThrows(GenAIFeedbackException.class, () -> client.chat(""));
    assertEquals(Status.Code.INVALID_ARGUMENT, error.code());
    assertEquals("INVALID_FIELD", error.reason());
    assertViolation(error, "message", FieldViolationReason.REQUIRED);
  }

  @Test
  void feedbackOnAnUnknownTraceIsTraceNotFound() {
    GenAIFeedbackException error =
        assertThrows(GenAIFeedbackException.class, () -> client.thumbsDown(UNKNOWN_TRACE));
    assertEquals(Status.Code.NOT_FOUND, error.code());
    assertEquals("TRACE_NOT_FOUND", error.reason());
    assertEquals(ErrorReason.TRACE_NOT_FOUND, error.errorReason());
    assertEquals(GenAIFeedbackException.DOMAIN, error.domain());
    assertEquals(UNKNOWN_TRACE, error.metadata().get("trace_id"));
    assertEquals(UNKNOWN_TRACE, error.traceId().orElseThrow());
    assertTrue(error.resourceName().contains(UNKNOWN_TRACE), error.resourceName());
    assertTrue(error.fieldViolations().isEmpty());
  }

  @Test
  void resendingTheSameRequestIdRecordsTheFeedbackOnce() {
    ChatStream chat = finishedChat(ChatRequest.newBuilder().setMessage("Idempotent").build());
    SubmitFeedbackRequest request =
        SubmitFeedbackRequest.newBuilder()
            .setTraceId(chat.traceId())
            .setName("retry_check")
            .setNumberValue(0.75)
            .setRequestId(UUID.randomUUID().toString())
            .build();
    SubmitFeedbackResponse first = waiting.submitFeedback(request);
    SubmitFeedbackResponse again = waiting.submitFeedback(request);
    assertEquals(first.getAssessmentId(), again.getAssessmentId());
    assertEquals(FeedbackState.FEEDBACK_STATE_STORED, first.getState());
    assertEquals(FeedbackState.FEEDBACK_STATE_STORED, again.getState());

    List<JsonObject> stored = TestService.assessments(chat.traceId());
    assertEquals(1, stored.size(), stored::toString);
    assertEquals(first.getAssessmentId(), stored.get(0).get("assessment_id").getAsString());
    assertEquals(0.75, stored.get(0).getAsJsonObject("feedback").get("value").getAsDouble());
  }

  @Test
  void feedbackSentWithoutWaitingIsFollowedWithGetFeedbackStatus() {
    String clientRequestId = "java-" + UUID.randomUUID();
    ChatStream chat =
        finishedChat(
            ChatRequest.newBuilder()
                .setMessage("Follow my feedback")
                .setClientRequestId(clientRequestId)
                .build());
    SubmitFeedbackRequest request =
        SubmitFeedbackRequest.newBuilder()
            .setClientRequestId(clientRequestId)
            .setName("followed")
            .setBoolValue(true)
            .setRequestId(UUID.randomUUID().toString())
            .build();
    SubmitFeedbackResponse response = client.submitFeedback(request);
    assertTrue(ACKNOWLEDGED.contains(response.getState()), response::toString);

    // By client_request_id and request_id (from the request as sent), until MLflow has it.
    GetFeedbackStatusResponse status = awaitStored(() -> client.getFeedbackStatus(request));
    assertEquals(chat.traceId(), status.getTraceId());
    assertEquals(Map.of("followed", response.getAssessmentId()), status.getAssessmentIdsMap());
    assertEquals("", status.getReason());

    // By trace_id and assessment_id: the same feedback, STORED.
    GetFeedbackStatusResponse byAssessment =
        client.getFeedbackStatus(
            GetFeedbackStatusRequest.newBuilder()
                .setTraceId(chat.traceId())
                .setAssessmentId(response.getAssessmentId())
                .build());
    assertEquals(FeedbackState.FEEDBACK_STATE_STORED, byAssessment.getState());
    assertEquals(chat.traceId(), byAssessment.getTraceId());
    assertEquals(status.getAssessmentIdsMap(), byAssessment.getAssessmentIdsMap());

    JsonObject stored = TestService.assessment(chat.traceId(), response.getAssessmentId());
    assertEquals("followed", stored.get("assessment_name").getAsString());
    assertTrue(stored.getAsJsonObject("feedback").get("value").getAsBoolean());
  }

  @Test
  void ratingsSentWithoutWaitingAreFollowedByTheirRequest() {
    ChatStream chat = finishedChat(ChatRequest.newBuilder().setMessage("Follow ratings").build());
    SubmitRatingsRequest request =
        SubmitRatingsRequest.newBuilder()
            .setTraceId(chat.traceId())
            .addRatings(DimensionRating.newBuilder().setName("clarity").setScore(3))
            .addRatings(DimensionRating.newBuilder().setName("accuracy").setScore(5))
            .setRequestId(UUID.randomUUID().toString())
            .build();
    SubmitRatingsResponse response = client.submitRatings(request);
    assertTrue(ACKNOWLEDGED.contains(response.getState()), response::toString);

    GetFeedbackStatusResponse status = awaitStored(() -> client.getFeedbackStatus(request));
    assertEquals(chat.traceId(), status.getTraceId());
    assertEquals(response.getAssessmentIdsMap(), status.getAssessmentIdsMap());
    assertEquals(2, TestService.assessments(chat.traceId()).size());
  }

  @Test
  void feedbackForAnUnknownClientRequestIdIsPendingNotRefused() {
    // The chat may still be on its way (to another replica): journaled, EXPIRED after the window.
    SubmitFeedbackRequest request =
        SubmitFeedbackRequest.newBuilder()
            .setClientRequestId("java-not-sent-yet-" + UUID.randomUUID())
            .setBoolValue(true)
            .setRequestId(UUID.randomUUID().toString())
            .build();
    SubmitFeedbackResponse response = client.submitFeedback(request);
    assertEquals(FeedbackState.FEEDBACK_STATE_PENDING, response.getState());
    assertEquals("", response.getTraceId(), "no trace resolved yet");
    assertTrue(ASSESSMENT_ID.matcher(response.getAssessmentId()).matches());

    GetFeedbackStatusResponse status = client.getFeedbackStatus(request);
    assertEquals(FeedbackState.FEEDBACK_STATE_PENDING, status.getState());
    assertEquals("", status.getTraceId());
    assertEquals(response.getAssessmentId(), status.getAssessmentIdsOrThrow("user_feedback"));
  }

  @Test
  void feedbackForAnUnknownRecentTraceIdIsPendingNotRefused() {
    // Our trace ids carry their start time (first 48 bits, in ms): a recent one may be in flight.
    String recentTrace =
        String.format(
            "tr-%012x%s",
            System.currentTimeMillis(), UUID.randomUUID().toString().replace("-", "").substring(0, 20));
    assertTrue(TRACE_ID.matcher(recentTrace).matches(), recentTrace);
    SubmitFeedbackResponse response = client.thumbsUp(recentTrace);
    assertEquals(FeedbackState.FEEDBACK_STATE_PENDING, response.getState());
    assertEquals(recentTrace, response.getTraceId());

    GetFeedbackStatusResponse status =
        client.getFeedbackStatus(
            GetFeedbackStatusRequest.newBuilder()
                .setTraceId(recentTrace)
                .setAssessmentId(response.getAssessmentId())
                .build());
    assertEquals(FeedbackState.FEEDBACK_STATE_PENDING, status.getState());
    assertEquals(recentTrace, status.getTraceId());
  }

  @Test
  void statusOfAnUnknownFeedbackIsTraceNotFound() {
    GenAIFeedbackException error =
        assertThrows(
            GenAIFeedbackException.class,
            () ->
                client.getFeedbackStatus(
                    GetFeedbackStatusRequest.newBuilder()
                        .setTraceId(UNKNOWN_TRACE)
                        .setRequestId(UUID.randomUUID().toString())
                        .build()));
    assertEquals(Status.Code.NOT_FOUND, error.code());
    assertEquals("FEEDBACK_NOT_FOUND", error.reason());
  }

  @Test
  void statusWithoutAFeedbackIsInvalid() {
    GenAIFeedbackException error =
        assertThrows(
            GenAIFeedbackException.class,
            () ->
                client.getFeedbackStatus(
                    GetFeedbackStatusRequest.newBuilder().setTraceId(UNKNOWN_TRACE).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, error.code());
    assertEquals("INVALID_FIELD", error.reason());
    assertViolation(error, "feedback", FieldViolationReason.REQUIRED);
    assertThrows(
        IllegalArgumentException.class,
        () ->
            client.getFeedbackStatus(
                SubmitFeedbackRequest.newBuilder().setTraceId(UNKNOWN_TRACE).build()),
        "no request_id to ask by");
  }

  @Test
  void reusingARequestIdForAnotherValueFailsWhileWaiting() {
    ChatStream chat = finishedChat(ChatRequest.newBuilder().setMessage("Reuse").build());
    String requestId = UUID.randomUUID().toString();
    SubmitFeedbackRequest.Builder request =
        SubmitFeedbackRequest.newBuilder().setTraceId(chat.traceId()).setRequestId(requestId);
    assertEquals(
        FeedbackState.FEEDBACK_STATE_STORED,
        waiting.submitFeedback(request.setBoolValue(true).build()).getState());
    GenAIFeedbackException error =
        assertThrows(
            GenAIFeedbackException.class,
            () -> waiting.submitFeedback(request.setBoolValue(false).build()));
    assertEquals(Status.Code.ALREADY_EXISTS, error.code());
    assertEquals("REQUEST_ID_REUSED", error.reason());
    assertEquals(1, TestService.assessments(chat.traceId()).size());
  }

  @Test
  void waitingIsAnOptionOfACopySharingTheChannel() {
    assertFalse(client.waitsUntilStored());
    assertTrue(waiting.waitsUntilStored());
    waiting.close(); // the copy does not own the channel: the shared client still works
    ChatStream chat = finishedChat(ChatRequest.newBuilder().setMessage("Still open").build());
    assertEquals(FeedbackState.FEEDBACK_STATE_STORED, waiting.thumbsUp(chat.traceId()).getState());
  }

  /**
   * Polls a feedback's status until it is STORED: bounded (60 s), backing off from 10 ms to 200 ms
   * between polls; fails at once if it becomes EXPIRED or REJECTED.
   */
  private static GetFeedbackStatusResponse awaitStored(
      java.util.function.Supplier<GetFeedbackStatusResponse> poll) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Duration pause = Duration.ofMillis(10);
    while (true) {
      GetFeedbackStatusResponse status = poll.get();
      if (status.getState() == FeedbackState.FEEDBACK_STATE_STORED) {
        return status;
      }
      assertEquals(FeedbackState.FEEDBACK_STATE_PENDING, status.getState(), status::toString);
      assertTrue(System.nanoTime() < deadline, () -> "still not STORED after 60 s: " + status);
      LockSupport.parkNanos(pause.toNanos());
      pause = pause.multipliedBy(2).compareTo(Duration.ofMillis(200)) > 0
          ? Duration.ofMillis(200)
          : pause.multipliedBy(2);
    }
  }

  @Test
  void serviceConfigRetriesUnavailableFeedbackWrites() {
    Map<String, ?> config = ServiceConfig.load();
    assertNotNull(config.get("methodConfig"), config::toString);
    assertTrue(config.toString().contains("retryableStatusCodes=[UNAVAILABLE]"), config::toString);
  }

  private static void assertViolation(
      GenAIFeedbackException error, String field, FieldViolationReason reason) {
    assertTrue(
        error.fieldViolations().stream()
            .anyMatch(v -> v.field().equals(field) && v.violationReason() == reason),
        () -> "no violation " + field + " " + reason + " in " + error.fieldViolations());
  }
}
