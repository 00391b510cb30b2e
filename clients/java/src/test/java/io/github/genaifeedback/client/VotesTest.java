package io.github.genaifeedback.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.github.genaifeedback.v1.CorrectFeedbackRequest;
import io.github.genaifeedback.v1.CorrectFeedbackResponse;
import io.github.genaifeedback.v1.DeleteFeedbackResponse;
import io.github.genaifeedback.v1.EraseFeedbackBySourceRequest;
import io.github.genaifeedback.v1.EraseFeedbackBySourceResponse;
import io.github.genaifeedback.v1.ErrorReason;
import io.github.genaifeedback.v1.FeedbackRecord;
import io.github.genaifeedback.v1.FeedbackSource;
import io.github.genaifeedback.v1.FeedbackState;
import io.github.genaifeedback.v1.ListFeedbackRequest;
import io.github.genaifeedback.v1.SourceType;
import io.github.genaifeedback.v1.SubmitFeedbackRequest;
import io.github.genaifeedback.v1.SubmitFeedbackResponse;
import io.grpc.Status;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Votes against the real service and MLflow started by scripts/with_service.py: client_time, read
 * back, list, correct, delete, erase, each checked against what MLflow stored.
 */
class VotesTest {

  private static GenAIFeedbackClient client;
  /** The same client, waiting for MLflow: MLflow is read right after each write. */
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

  private static String newTrace() {
    try (ChatStream chat = client.chat("Vote on me")) {
      chat.finish();
      return chat.traceId();
    }
  }

  private static FeedbackSource human(String id) {
    return FeedbackSource.newBuilder().setType(SourceType.SOURCE_TYPE_HUMAN).setId(id).build();
  }

  private static String rater() {
    return "rater-" + UUID.randomUUID();
  }

  private static SubmitFeedbackResponse vote(String traceId, String rater, boolean up) {
    SubmitFeedbackResponse response =
        waiting.submitFeedback(
            SubmitFeedbackRequest.newBuilder()
                .setTraceId(traceId)
                .setBoolValue(up)
                .setSource(human(rater))
                .build());
    assertEquals(FeedbackState.FEEDBACK_STATE_STORED, response.getState());
    return response;
  }

  private static List<String> ids(Iterable<FeedbackRecord> records) {
    List<String> ids = new ArrayList<>();
    records.forEach(record -> ids.add(record.getAssessmentId()));
    return ids;
  }

  /** Whether MLflow holds the assessment as valid (the current vote); unset means valid. */
  private static boolean valid(JsonObject stored) {
    JsonElement valid = stored.get("valid");
    return valid == null || valid.getAsBoolean();
  }

  private static String overrides(JsonObject stored) {
    JsonElement overrides = stored.get("overrides");
    return overrides == null ? "" : overrides.getAsString();
  }

  @Test
  void theLatestClientTimeWinsAndReadsBackWithItsHistory() {
    String traceId = newTrace();
    String rater = rater();
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    SubmitFeedbackRequest.Builder up =
        SubmitFeedbackRequest.newBuilder()
            .setTraceId(traceId)
            .setBoolValue(true)
            .setSource(human(rater))
            .setRationale("good")
            .setClientTime(GenAIFeedbackClient.timestamp(now));
    SubmitFeedbackResponse later = waiting.submitFeedback(up.build());
    // Sent second, but given a minute earlier: it takes its place in the history.
    SubmitFeedbackResponse earlier =
        waiting.submitFeedback(
            SubmitFeedbackRequest.newBuilder()
                .setTraceId(traceId)
                .setBoolValue(false)
                .setSource(human(rater))
                .setClientTime(GenAIFeedbackClient.timestamp(now.minusSeconds(60)))
                .build());

    JsonObject first = TestService.assessment(traceId, earlier.getAssessmentId());
    JsonObject second = TestService.assessment(traceId, later.getAssessmentId());
    assertFalse(valid(first), first::toString);
    assertTrue(valid(second), second::toString);
    assertEquals(earlier.getAssessmentId(), overrides(second));
    assertEquals(now.minusSeconds(60), Instant.parse(first.get("create_time").getAsString()));

    FeedbackRecord replaced = client.getFeedback(traceId, earlier.getAssessmentId());
    assertFalse(replaced.getCurrent());
    assertEquals(later.getAssessmentId(), replaced.getOverriddenBy());
    assertFalse(replaced.getBoolValue());
    assertEquals(rater, replaced.getSource().getId());
    assertEquals(now.minusSeconds(60), GenAIFeedbackClient.instant(replaced.getCreateTime()));
    FeedbackRecord current = client.getFeedback(traceId, later.getAssessmentId());
    assertTrue(current.getCurrent());
    assertEquals(earlier.getAssessmentId(), current.getOverrides());
    assertEquals("good", current.getRationale());

    ListFeedbackRequest onTrace = ListFeedbackRequest.newBuilder().setTraceId(traceId).build();
    assertEquals(List.of(later.getAssessmentId()), ids(client.listFeedback(onTrace)));
    assertEquals(
        List.of(earlier.getAssessmentId(), later.getAssessmentId()),
        ids(client.listFeedback(onTrace.toBuilder().setIncludeHistory(true).build())));

    GenAIFeedbackException missing =
        assertThrows(
            GenAIFeedbackException.class,
            () -> client.getFeedback(traceId, "a-00000000000000000000000000000000"));
    assertEquals(Status.Code.NOT_FOUND, missing.code());
    assertEquals(ErrorReason.FEEDBACK_NOT_FOUND, missing.errorReason());
  }

  @Test
  void listFeedbackBySourceIteratesOverEveryPage() {
    String rater = rater();
    Set<String> sent = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      String traceId = newTrace();
      sent.add(vote(traceId, rater, true).getAssessmentId());
      vote(traceId, "someone-else", false);
    }
    Iterable<FeedbackRecord> records =
        client.listFeedback(
            ListFeedbackRequest.newBuilder().setSourceId(rater).setPageSize(2).build());
    List<String> listed = ids(records);
    assertEquals(sent.size(), listed.size(), listed::toString);
    assertEquals(sent, Set.copyOf(listed));
    assertEquals(listed, ids(records), "each iteration starts again from the first page");
    assertEquals(
        List.of(),
        ids(
            client.listFeedback(
                ListFeedbackRequest.newBuilder()
                    .setSourceId(rater)
                    .setStartTime(GenAIFeedbackClient.timestamp(Instant.now().plusSeconds(60)))
                    .build())));

    GenAIFeedbackException bad =
        assertThrows(
            GenAIFeedbackException.class,
            () ->
                client
                    .listFeedback(
                        ListFeedbackRequest.newBuilder().setSourceId(rater).setPageSize(5000).build())
                    .iterator()
                    .hasNext());
    assertEquals(Status.Code.INVALID_ARGUMENT, bad.code());
  }

  @Test
  void aCorrectionOverridesTheFeedbackAndDeletingTakesItsHistory() {
    String traceId = newTrace();
    SubmitFeedbackResponse original =
        waiting.submitFeedback(
            SubmitFeedbackRequest.newBuilder()
                .setTraceId(traceId)
                .setName("user_rating")
                .setNumberValue(5)
                .setSource(human(rater()))
                .build());
    CorrectFeedbackResponse corrected =
        waiting.correctFeedback(
            CorrectFeedbackRequest.newBuilder()
                .setTraceId(traceId)
                .setAssessmentId(original.getAssessmentId())
                .setNumberValue(2)
                .setSource(human("expert-7"))
                .setRationale("the answer cites a deprecated API")
                .build());
    assertEquals(FeedbackState.FEEDBACK_STATE_STORED, corrected.getState());
    JsonObject fixed = TestService.assessment(traceId, corrected.getAssessmentId());
    assertTrue(valid(fixed));
    assertEquals(original.getAssessmentId(), overrides(fixed));
    assertEquals(2.0, fixed.getAsJsonObject("feedback").get("value").getAsDouble());
    assertEquals("expert-7", fixed.getAsJsonObject("source").get("source_id").getAsString());
    assertFalse(valid(TestService.assessment(traceId, original.getAssessmentId())));

    SubmitFeedbackResponse kept = vote(traceId, rater(), true);
    DeleteFeedbackResponse deleted = client.deleteFeedback(traceId, corrected.getAssessmentId());
    assertEquals(
        Set.of(original.getAssessmentId(), corrected.getAssessmentId()),
        Set.copyOf(deleted.getDeletedAssessmentIdsList()));
    assertEquals(
        List.of(kept.getAssessmentId()),
        TestService.assessments(traceId).stream()
            .map(a -> a.get("assessment_id").getAsString())
            .collect(Collectors.toList()));
    assertEquals(
        List.of(kept.getAssessmentId()),
        client.deleteAllFeedback(traceId).getDeletedAssessmentIdsList());
    assertEquals(List.of(), TestService.assessments(traceId));
    assertEquals(List.of(), client.deleteAllFeedback(traceId).getDeletedAssessmentIdsList());
  }

  @Test
  void erasingASourceStreamsProgressAndReturnsTheTotals() {
    String rater = rater();
    Map<String, String> kept = new HashMap<>();
    for (int i = 0; i < 2; i++) {
      String traceId = newTrace();
      vote(traceId, rater, true);
      vote(traceId, rater, false);
      kept.put(traceId, vote(traceId, "stays", true).getAssessmentId());
    }
    List<EraseFeedbackBySourceResponse> reports = new ArrayList<>();
    EraseFeedbackBySourceResponse totals =
        client.eraseFeedbackBySource(
            EraseFeedbackBySourceRequest.newBuilder()
                .setSourceId(rater)
                .setSourceType(SourceType.SOURCE_TYPE_HUMAN)
                .build(),
            Duration.ofMinutes(2),
            reports::add);
    assertTrue(totals.getDone());
    assertEquals(4, totals.getFeedbackDeleted());
    assertEquals(2, totals.getTracesChanged());
    assertEquals(totals, reports.get(reports.size() - 1));
    kept.forEach(
        (traceId, assessmentId) ->
            assertEquals(
                List.of(assessmentId),
                TestService.assessments(traceId).stream()
                    .map(a -> a.get("assessment_id").getAsString())
                    .collect(Collectors.toList())));
    assertEquals(0, client.eraseFeedbackBySource(rater).getFeedbackDeleted());
  }
}
