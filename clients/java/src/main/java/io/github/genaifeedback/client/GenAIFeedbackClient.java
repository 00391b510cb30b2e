package io.github.genaifeedback.client;

import io.github.genaifeedback.v1.ChatRequest;
import io.github.genaifeedback.v1.ChatResponse;
import io.github.genaifeedback.v1.ChatServiceGrpc;
import io.github.genaifeedback.v1.CompleteChatRequest;
import io.github.genaifeedback.v1.CompleteChatResponse;
import io.github.genaifeedback.v1.CorrectFeedbackRequest;
import io.github.genaifeedback.v1.CorrectFeedbackResponse;
import io.github.genaifeedback.v1.DeleteFeedbackRequest;
import io.github.genaifeedback.v1.DeleteFeedbackResponse;
import io.github.genaifeedback.v1.DimensionRating;
import io.github.genaifeedback.v1.EraseFeedbackBySourceRequest;
import io.github.genaifeedback.v1.EraseFeedbackBySourceResponse;
import io.github.genaifeedback.v1.FeedbackRecord;
import io.github.genaifeedback.v1.FeedbackServiceGrpc;
import io.github.genaifeedback.v1.FeedbackState;
import io.github.genaifeedback.v1.GetFeedbackRequest;
import io.github.genaifeedback.v1.GetFeedbackStatusRequest;
import io.github.genaifeedback.v1.GetFeedbackStatusResponse;
import io.github.genaifeedback.v1.ListFeedbackRequest;
import io.github.genaifeedback.v1.ListFeedbackResponse;
import io.github.genaifeedback.v1.SubmitFeedbackRequest;
import io.github.genaifeedback.v1.SubmitFeedbackResponse;
import io.github.genaifeedback.v1.SubmitRatingsRequest;
import io.github.genaifeedback.v1.SubmitRatingsResponse;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import com.google.protobuf.Timestamp;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Chats with the GenAI feedback service and records feedback on the chats' MLflow traces.
 *
 * <pre>{@code
 * try (GenAIFeedbackClient client = GenAIFeedbackClient.connect("127.0.0.1:50051");
 *     ChatStream chat = client.chat("What is MLflow?")) {
 *   chat.forEach(System.out::print);
 *   client.thumbsUp(chat.traceId());
 * }
 * }</pre>
 *
 * <p>Feedback is acknowledged once the service has journaled it durably: the response's {@link
 * FeedbackState} is {@code FEEDBACK_STATE_PENDING} (on its way to MLflow, attached to the trace
 * exactly once, shortly after) or {@code FEEDBACK_STATE_STORED} (in MLflow already). {@link
 * #withWaitUntilStored()} (or {@code setWaitUntilStored(true)} on a request) waits for MLflow within
 * the call's deadline; {@link #getFeedbackStatus} tells later what became of a feedback.
 *
 * <p>Feedback with a source id is that rater's vote: a new vote replaces the previous one, which
 * MLflow keeps as history ({@code client_time}, see {@link #timestamp}, orders them). {@link
 * #getFeedback} and {@link #listFeedback} (every page) read stored feedback back, {@link
 * #correctFeedback} overrides one with an expert's value and reason, {@link #deleteFeedback} and
 * {@link #deleteAllFeedback} delete for good, and {@link #eraseFeedbackBySource} deletes all one
 * source gave, streaming its progress.
 *
 * <p>Every failed call throws {@link GenAIFeedbackException}. Timeouts and retries come from the
 * bundled gRPC service config ({@link ServiceConfig}): feedback writes are retried on UNAVAILABLE,
 * which is safe because each carries a request_id (generated here when the caller gives none) that
 * the service deduplicates by. Thread-safe; share one client.
 */
public final class GenAIFeedbackClient implements AutoCloseable {

  /** Where {@code make run} serves: {@value}. */
  public static final String DEFAULT_TARGET = "127.0.0.1:50051";

  private final ManagedChannel ownedChannel;
  private final ChatServiceGrpc.ChatServiceBlockingStub chat;
  private final FeedbackServiceGrpc.FeedbackServiceBlockingStub feedback;
  private final boolean waitUntilStored;

  private GenAIFeedbackClient(Channel channel, ManagedChannel ownedChannel) {
    this(
        ChatServiceGrpc.newBlockingStub(channel),
        FeedbackServiceGrpc.newBlockingStub(channel),
        ownedChannel,
        false);
  }

  private GenAIFeedbackClient(
      ChatServiceGrpc.ChatServiceBlockingStub chat,
      FeedbackServiceGrpc.FeedbackServiceBlockingStub feedback,
      ManagedChannel ownedChannel,
      boolean waitUntilStored) {
    this.ownedChannel = ownedChannel;
    this.chat = chat;
    this.feedback = feedback;
    this.waitUntilStored = waitUntilStored;
  }

  /** A client on a plaintext channel to {@code target} ({@code host:port} or a gRPC target URI). */
  public static GenAIFeedbackClient connect(String target) {
    return builder(target).build();
  }

  /** Starts building a client for {@code target}, to set its credentials (TLS) first. */
  public static Builder builder(String target) {
    return new Builder(target);
  }

  /**
   * A client on a channel the caller built and keeps: {@link #close()} leaves it open. Build it
   * with {@code defaultServiceConfig(ServiceConfig.load())} and {@code enableRetry()} to keep
   * the shipped timeouts and retry policy.
   */
  public static GenAIFeedbackClient forChannel(Channel channel) {
    return new GenAIFeedbackClient(Objects.requireNonNull(channel, "channel"), null);
  }

  /**
   * This client on the same channel, except that every feedback and ratings call it makes sets
   * {@code wait_until_stored}: it answers once the feedback is in MLflow ({@code
   * FEEDBACK_STATE_STORED}), or just before the call's deadline (30 s by the service config) with
   * {@code FEEDBACK_STATE_PENDING} if it is still on its way. If the feedback turns out never to be
   * storable while waiting, the call throws ({@code NOT_FOUND}/{@code TRACE_NOT_FOUND} when the
   * trace never appeared, {@code ALREADY_EXISTS}/{@code REQUEST_ID_REUSED}, ...).
   *
   * <p>The copy shares this client's channel: closing it does nothing; close this client instead.
   */
  public GenAIFeedbackClient withWaitUntilStored() {
    return new GenAIFeedbackClient(chat, feedback, null, true);
  }

  /** Whether this client's feedback and ratings calls wait for MLflow ({@link #withWaitUntilStored}). */
  public boolean waitsUntilStored() {
    return waitUntilStored;
  }

  // Chat

  /** Starts a streamed chat about {@code message}; see {@link #chat(ChatRequest)}. */
  public ChatStream chat(String message) {
    return chat(ChatRequest.newBuilder().setMessage(message).build());
  }

  /**
   * Starts a streamed chat and waits for its first event, so the returned stream already knows its
   * trace id. Without a client_request_id, a UUID is set, so feedback can always target the chat by
   * it ({@link ChatStream#clientRequestId()}). Not retried: every call is a new chat and trace.
   *
   * @throws GenAIFeedbackException if the service refused the chat
   */
  public ChatStream chat(ChatRequest request) {
    if (request.getClientRequestId().isEmpty()) {
      request = request.toBuilder().setClientRequestId(newId()).build();
    }
    ChatRequest sent = request;
    Context.CancellableContext context = Context.current().withCancellation();
    Iterator<ChatResponse> responses;
    try {
      responses = context.call(() -> chat.chat(sent));
    } catch (Exception e) {
      context.cancel(null);
      throw e instanceof StatusRuntimeException
          ? GenAIFeedbackException.fromThrowable(e, null)
          : new IllegalStateException("cannot start the chat", e);
    }
    return new ChatStream(context, responses);
  }

  /** The whole answer to {@code message} at once; see {@link #completeChat(CompleteChatRequest)}. */
  public CompleteChatResponse completeChat(String message) {
    return completeChat(CompleteChatRequest.newBuilder().setMessage(message).build());
  }

  /**
   * The whole answer at once, with its trace id. Sets a generated client_request_id if none is
   * given. Not retried: every call is a new chat and trace.
   *
   * @throws GenAIFeedbackException if the call failed
   */
  public CompleteChatResponse completeChat(CompleteChatRequest request) {
    if (request.getClientRequestId().isEmpty()) {
      request = request.toBuilder().setClientRequestId(newId()).build();
    }
    try {
      return chat.completeChat(request);
    } catch (StatusRuntimeException e) {
      throw GenAIFeedbackException.fromThrowable(e, null);
    }
  }

  // Feedback

  /**
   * Records one feedback on a trace, targeted by {@code trace_id} or {@code client_request_id}.
   * Without a request_id, a UUID is set: keep the request to resend it, and the service records it
   * once. Retried on UNAVAILABLE by the service config. Answers once the feedback is journaled
   * (state PENDING or STORED), or, with {@code wait_until_stored} set on the request or by {@link
   * #withWaitUntilStored()}, once it is in MLflow (STORED) or the deadline is near (PENDING).
   *
   * @return the assessment id, the trace it is recorded on (empty while a client_request_id is not
   *     resolved yet) and its {@link SubmitFeedbackResponse#getState() state}
   * @throws GenAIFeedbackException if the call failed
   */
  public SubmitFeedbackResponse submitFeedback(SubmitFeedbackRequest request) {
    if (request.getRequestId().isEmpty() || (waitUntilStored && !request.getWaitUntilStored())) {
      SubmitFeedbackRequest.Builder builder = request.toBuilder();
      if (request.getRequestId().isEmpty()) {
        builder.setRequestId(newId());
      }
      request = builder.setWaitUntilStored(request.getWaitUntilStored() || waitUntilStored).build();
    }
    try {
      return feedback.submitFeedback(request);
    } catch (StatusRuntimeException e) {
      throw GenAIFeedbackException.fromThrowable(e, null);
    }
  }

  /** A thumbs up ({@code user_feedback} = true, from a human) on a trace. */
  public SubmitFeedbackResponse thumbsUp(String traceId) {
    return submitFeedback(
        SubmitFeedbackRequest.newBuilder().setTraceId(traceId).setBoolValue(true).build());
  }

  /** A thumbs down ({@code user_feedback} = false, from a human) on a trace. */
  public SubmitFeedbackResponse thumbsDown(String traceId) {
    return submitFeedback(
        SubmitFeedbackRequest.newBuilder().setTraceId(traceId).setBoolValue(false).build());
  }

  /**
   * Records several rated dimensions (1 to 5 each) on one trace, one assessment per dimension:
   * all or none. Without a request_id, a UUID is set. Retried on UNAVAILABLE. Waits for MLflow as
   * {@link #submitFeedback} does.
   *
   * @return the trace, each dimension's assessment id and their common {@link
   *     SubmitRatingsResponse#getState() state}
   * @throws GenAIFeedbackException if the call failed
   */
  public SubmitRatingsResponse submitRatings(SubmitRatingsRequest request) {
    if (request.getRequestId().isEmpty() || (waitUntilStored && !request.getWaitUntilStored())) {
      SubmitRatingsRequest.Builder builder = request.toBuilder();
      if (request.getRequestId().isEmpty()) {
        builder.setRequestId(newId());
      }
      request = builder.setWaitUntilStored(request.getWaitUntilStored() || waitUntilStored).build();
    }
    try {
      return feedback.submitRatings(request);
    } catch (StatusRuntimeException e) {
      throw GenAIFeedbackException.fromThrowable(e, null);
    }
  }

  /**
   * Rates dimensions of a trace, for example {@code Map.of("accuracy", 4, "helpfulness", 5)}: a
   * SubmitRatings call, named after it as in the Go, Node and Python clients.
   */
  public SubmitRatingsResponse submitRatings(String traceId, Map<String, Integer> scores) {
    SubmitRatingsRequest.Builder request = SubmitRatingsRequest.newBuilder().setTraceId(traceId);
    scores.forEach(
        (name, score) ->
            request.addRatings(DimensionRating.newBuilder().setName(name).setScore(score)));
    return submitRatings(request.build());
  }

  /**
   * Rates dimensions of a trace.
   *
   * @deprecated since 0.1.0, removed in 0.3.0: use {@link #submitRatings(String, Map)}, the name
   *     every client gives the SubmitRatings call.
   */
  @Deprecated(since = "0.1.0", forRemoval = true)
  public SubmitRatingsResponse rate(String traceId, Map<String, Integer> scores) {
    return submitRatings(traceId, scores);
  }

  // Feedback status

  /**
   * What became of a feedback: {@code FEEDBACK_STATE_PENDING}, {@code _STORED}, {@code _EXPIRED},
   * {@code _DELETED} or {@code _REJECTED} (with the reason, an {@code ErrorReason} value name), its trace and assessment
   * ids. The request names the target the feedback was sent to ({@code trace_id} or {@code
   * client_request_id}) and the feedback by the {@code assessment_id} it was answered with (for
   * ratings: the id of the first dimension in name order) or the {@code request_id} it was sent
   * with. Ask the replica that took the feedback, or any once it is STORED. Answers at once (it
   * never waits); poll it to follow a feedback. Retried on UNAVAILABLE.
   *
   * @throws GenAIFeedbackException {@code NOT_FOUND}/{@code TRACE_NOT_FOUND} if neither the replica
   *     nor MLflow knows the feedback, {@code INVALID_ARGUMENT} for a malformed request
   */
  public GetFeedbackStatusResponse getFeedbackStatus(GetFeedbackStatusRequest request) {
    try {
      return feedback.getFeedbackStatus(request);
    } catch (StatusRuntimeException e) {
      throw GenAIFeedbackException.fromThrowable(e, null);
    }
  }

  /**
   * The status of a feedback sent earlier with this request: its target and its request_id (so set
   * one on the request before sending it, and keep the request).
   *
   * @throws IllegalArgumentException if the request has no request_id or no target
   * @throws GenAIFeedbackException as {@link #getFeedbackStatus(GetFeedbackStatusRequest)}
   */
  public GetFeedbackStatusResponse getFeedbackStatus(SubmitFeedbackRequest sent) {
    return getFeedbackStatus(
        statusRequest(sent.getTraceId(), sent.getClientRequestId(), sent.getRequestId()));
  }

  /**
   * The status of ratings sent earlier with this request: its target and its request_id (so set one
   * on the request before sending it, and keep the request).
   *
   * @throws IllegalArgumentException if the request has no request_id or no target
   * @throws GenAIFeedbackException as {@link #getFeedbackStatus(GetFeedbackStatusRequest)}
   */
  public GetFeedbackStatusResponse getFeedbackStatus(SubmitRatingsRequest sent) {
    return getFeedbackStatus(
        statusRequest(sent.getTraceId(), sent.getClientRequestId(), sent.getRequestId()));
  }

  private static GetFeedbackStatusRequest statusRequest(
      String traceId, String clientRequestId, String requestId) {
    if (requestId.isEmpty()) {
      throw new IllegalArgumentException(
          "the request has no request_id: set one before sending it to ask for its status later");
    }
    GetFeedbackStatusRequest.Builder status =
        GetFeedbackStatusRequest.newBuilder().setRequestId(requestId);
    if (!traceId.isEmpty()) {
      status.setTraceId(traceId);
    } else if (!clientRequestId.isEmpty()) {
      status.setClientRequestId(clientRequestId);
    } else {
      throw new IllegalArgumentException("the request has no target (trace_id or client_request_id)");
    }
    return status.build();
  }

  // Votes: stored feedback, read back, corrected, deleted, erased

  /**
   * An {@link Instant} as a protobuf {@link Timestamp}, for {@code setClientTime} on a feedback or
   * ratings request (when the user voted: of one rater's votes the latest is current, whatever
   * order they arrive in) and for {@code setStartTime}/{@code setEndTime} on a {@link
   * ListFeedbackRequest}.
   */
  public static Timestamp timestamp(Instant instant) {
    return Timestamp.newBuilder()
        .setSeconds(instant.getEpochSecond())
        .setNanos(instant.getNano())
        .build();
  }

  /** A protobuf {@link Timestamp}, such as {@link FeedbackRecord#getCreateTime()}, as an Instant. */
  public static Instant instant(Timestamp timestamp) {
    return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos());
  }

  /**
   * One stored feedback, read back from MLflow, with its place in its vote's history: {@code
   * getCurrent()}, {@code getOverrides()}, {@code getOverriddenBy()}.
   *
   * @throws GenAIFeedbackException {@code NOT_FOUND}/{@code FEEDBACK_NOT_FOUND} if MLflow does not
   *     have it
   */
  public FeedbackRecord getFeedback(GetFeedbackRequest request) {
    try {
      return feedback.getFeedback(request).getFeedback();
    } catch (StatusRuntimeException e) {
      throw GenAIFeedbackException.fromThrowable(e, null);
    }
  }

  /** The stored feedback {@code assessmentId} on the trace {@code traceId}; see above. */
  public FeedbackRecord getFeedback(String traceId, String assessmentId) {
    return getFeedback(
        GetFeedbackRequest.newBuilder().setTraceId(traceId).setAssessmentId(assessmentId).build());
  }

  /**
   * One page of stored feedback: on one trace, or given by one source on any trace, current votes
   * only unless {@code include_history}. Pass {@code getNextPageToken()} as the next request's
   * {@code page_token}; {@link #listFeedback} does that for you.
   *
   * @throws GenAIFeedbackException {@code INVALID_ARGUMENT} for a malformed request or page token
   */
  public ListFeedbackResponse listFeedbackPage(ListFeedbackRequest request) {
    try {
      return feedback.listFeedback(request);
    } catch (StatusRuntimeException e) {
      throw GenAIFeedbackException.fromThrowable(e, null);
    }
  }

  /**
   * Every stored feedback the request names, over all its pages (by trace, then oldest first),
   * each page fetched as the iteration reaches it; each {@code iterator()} starts from the first
   * page again. A failed page throws {@link GenAIFeedbackException} from {@code hasNext()}.
   *
   * <pre>{@code
   * for (FeedbackRecord record : client.listFeedback(
   *     ListFeedbackRequest.newBuilder().setSourceId("alice").setIncludeHistory(true).build())) { ... }
   * }</pre>
   */
  public Iterable<FeedbackRecord> listFeedback(ListFeedbackRequest request) {
    return () -> new PageIterator(request);
  }

  /** Walks the pages of one ListFeedback request. */
  private final class PageIterator implements Iterator<FeedbackRecord> {
    private ListFeedbackRequest next;
    private Iterator<FeedbackRecord> page = Collections.emptyIterator();

    PageIterator(ListFeedbackRequest first) {
      next = first.toBuilder().setPageToken("").build();
    }

    @Override
    public boolean hasNext() {
      while (!page.hasNext() && next != null) {
        ListFeedbackResponse response = listFeedbackPage(next);
        page = response.getFeedbackList().iterator();
        next =
            response.getNextPageToken().isEmpty()
                ? null
                : next.toBuilder().setPageToken(response.getNextPageToken()).build();
      }
      return page.hasNext();
    }

    @Override
    public FeedbackRecord next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return page.next();
    }
  }

  /**
   * Corrects a stored feedback: an expert or a judge (the request's source, with an id) gives the
   * right value, of the same name and schema, and why it was wrong (its rationale, required). The
   * correction overrides the original, which stays in MLflow as history. Without a request_id, a
   * UUID is set; waits for MLflow as {@link #submitFeedback} does. Retried on UNAVAILABLE.
   *
   * @throws GenAIFeedbackException {@code NOT_FOUND}/{@code FEEDBACK_NOT_FOUND} if the feedback is
   *     not in MLflow, {@code INVALID_ARGUMENT} for a value off its schema or no reason
   */
  public CorrectFeedbackResponse correctFeedback(CorrectFeedbackRequest request) {
    if (request.getRequestId().isEmpty() || (waitUntilStored && !request.getWaitUntilStored())) {
      CorrectFeedbackRequest.Builder builder = request.toBuilder();
      if (request.getRequestId().isEmpty()) {
        builder.setRequestId(newId());
      }
      request = builder.setWaitUntilStored(request.getWaitUntilStored() || waitUntilStored).build();
    }
    try {
      return feedback.correctFeedback(request);
    } catch (StatusRuntimeException e) {
      throw GenAIFeedbackException.fromThrowable(e, null);
    }
  }

  /**
   * Deletes one feedback with its whole history (the rater's earlier votes, corrections of it), or
   * every feedback on the trace ({@code all_on_trace}). Final: a late retry of a deleted feedback
   * records nothing ({@code FEEDBACK_STATE_DELETED}). Idempotent: deleting again deletes nothing.
   *
   * @return the trace and the assessment ids deleted
   */
  public DeleteFeedbackResponse deleteFeedback(DeleteFeedbackRequest request) {
    try {
      return feedback.deleteFeedback(request);
    } catch (StatusRuntimeException e) {
      throw GenAIFeedbackException.fromThrowable(e, null);
    }
  }

  /** Deletes the feedback {@code assessmentId} on {@code traceId} with its history; see above. */
  public DeleteFeedbackResponse deleteFeedback(String traceId, String assessmentId) {
    return deleteFeedback(
        DeleteFeedbackRequest.newBuilder().setTraceId(traceId).setAssessmentId(assessmentId).build());
  }

  /** Deletes every feedback on {@code traceId}, for good. */
  public DeleteFeedbackResponse deleteAllFeedback(String traceId) {
    return deleteFeedback(
        DeleteFeedbackRequest.newBuilder().setTraceId(traceId).setAllOnTrace(true).build());
  }

  /**
   * Deletes every feedback one source id gave (of one source type, or any), on every trace of the
   * service's experiment, for good, and returns the totals ({@code getDone()}) once it is complete.
   * {@code progress}, if not null, receives each report the service streams (one per page of
   * traces searched, the last one done).
   *
   * <p>The erasure walks the whole experiment: the service config gives it 600 s; {@code timeout},
   * if not null, sets a deadline too (gRPC keeps the shorter; a channel with a service config of
   * your own, see {@link #forChannel}, allows longer). An erasure cut short throws; what it deleted
   * stays deleted, and running it again finishes the job. Feedback still on its way from another
   * replica can escape it: run it again once deliveries have drained to be certain.
   *
   * @throws GenAIFeedbackException if the erasure failed
   */
  public EraseFeedbackBySourceResponse eraseFeedbackBySource(
      EraseFeedbackBySourceRequest request,
      Duration timeout,
      Consumer<EraseFeedbackBySourceResponse> progress) {
    FeedbackServiceGrpc.FeedbackServiceBlockingStub stub =
        timeout == null
            ? feedback
            : feedback.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS);
    // A cancellable context, so the call ends if progress throws.
    Context.CancellableContext context = Context.current().withCancellation();
    try {
      return context.call(
          () -> {
            EraseFeedbackBySourceResponse last =
                EraseFeedbackBySourceResponse.getDefaultInstance();
            Iterator<EraseFeedbackBySourceResponse> reports =
                stub.eraseFeedbackBySource(request);
            while (reports.hasNext()) {
              last = reports.next();
              if (progress != null) {
                progress.accept(last);
              }
            }
            return last;
          });
    } catch (StatusRuntimeException e) {
      throw GenAIFeedbackException.fromThrowable(e, null);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("erasure failed", e);
    } finally {
      context.cancel(null);
    }
  }

  /** Erases every feedback {@code sourceId} gave, of any source type; see above. */
  public EraseFeedbackBySourceResponse eraseFeedbackBySource(String sourceId) {
    return eraseFeedbackBySource(
        EraseFeedbackBySourceRequest.newBuilder().setSourceId(sourceId).build(), null, null);
  }

  /**
   * Closes the channel this client opened (waiting up to 5 s for calls in flight); does nothing
   * for a client on a caller's channel or a {@link #withWaitUntilStored()} copy.
   */
  @Override
  public void close() {
    if (ownedChannel == null) {
      return;
    }
    ownedChannel.shutdown();
    try {
      if (!ownedChannel.awaitTermination(5, TimeUnit.SECONDS)) {
        ownedChannel.shutdownNow();
      }
    } catch (InterruptedException e) {
      ownedChannel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private static String newId() {
    return UUID.randomUUID().toString();
  }

  /** Builds a {@link GenAIFeedbackClient} that owns its channel. */
  public static final class Builder {
    private final String target;
    private ChannelCredentials credentials = InsecureChannelCredentials.create();

    private Builder(String target) {
      this.target = Objects.requireNonNull(target, "target");
    }

    /**
     * The channel's credentials, for example {@code TlsChannelCredentials.create()}; default
     * plaintext, as the service serves.
     */
    public Builder credentials(ChannelCredentials credentials) {
      this.credentials = Objects.requireNonNull(credentials, "credentials");
      return this;
    }

    /** Opens the channel, with the shipped service config and retries enabled. */
    public GenAIFeedbackClient build() {
      ManagedChannel channel =
          Grpc.newChannelBuilder(target, credentials)
              .defaultServiceConfig(ServiceConfig.load())
              .enableRetry()
              .build();
      return new GenAIFeedbackClient(channel, channel);
    }
  }
}
