package io.github.genaifeedback.client;

import io.github.genaifeedback.v1.ChatRequest;
import io.github.genaifeedback.v1.ChatResponse;
import io.github.genaifeedback.v1.ChatServiceGrpc;
import io.github.genaifeedback.v1.CompleteChatRequest;
import io.github.genaifeedback.v1.CompleteChatResponse;
import io.github.genaifeedback.v1.DimensionRating;
import io.github.genaifeedback.v1.FeedbackServiceGrpc;
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
import io.grpc.StatusRuntimeException;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

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

  private GenAIFeedbackClient(Channel channel, ManagedChannel ownedChannel) {
    this.ownedChannel = ownedChannel;
    this.chat = ChatServiceGrpc.newBlockingStub(channel);
    this.feedback = FeedbackServiceGrpc.newBlockingStub(channel);
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
   * once. Retried on UNAVAILABLE by the service config.
   *
   * @return the assessment id and the trace it was recorded on
   * @throws GenAIFeedbackException if the call failed
   */
  public SubmitFeedbackResponse submitFeedback(SubmitFeedbackRequest request) {
    if (request.getRequestId().isEmpty()) {
      request = request.toBuilder().setRequestId(newId()).build();
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
   * all or none. Without a request_id, a UUID is set. Retried on UNAVAILABLE.
   *
   * @return the trace and each dimension's assessment id
   * @throws GenAIFeedbackException if the call failed
   */
  public SubmitRatingsResponse submitRatings(SubmitRatingsRequest request) {
    if (request.getRequestId().isEmpty()) {
      request = request.toBuilder().setRequestId(newId()).build();
    }
    try {
      return feedback.submitRatings(request);
    } catch (StatusRuntimeException e) {
      throw GenAIFeedbackException.fromThrowable(e, null);
    }
  }

  /** Rates dimensions of a trace, for example {@code Map.of("accuracy", 4, "helpfulness", 5)}. */
  public SubmitRatingsResponse rate(String traceId, Map<String, Integer> scores) {
    SubmitRatingsRequest.Builder request = SubmitRatingsRequest.newBuilder().setTraceId(traceId);
    scores.forEach(
        (name, score) ->
            request.addRatings(DimensionRating.newBuilder().setName(name).setScore(score)));
    return submitRatings(request.build());
  }

  /** Closes the channel this client opened (waiting up to 5 s for calls in flight). */
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
