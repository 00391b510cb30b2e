package io.github.genaifeedback.client;

import io.github.genaifeedback.v1.ChatFinished;
import io.github.genaifeedback.v1.ChatResponse;
import io.github.genaifeedback.v1.ChatStarted;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;

/**
 * One streamed chat. It is open once {@link GenAIFeedbackClient#chat} returns, with the trace id
 * of the stream's first ({@code started}) event; iterate it for the answer's text as it arrives:
 * one generated chunk per item while the reader keeps up, or the chunks that piled up meanwhile,
 * joined in order, when it (or the connection) falls behind. Every chunk's text comes exactly once,
 * in order; {@link #chunks()} counts them. A failed stream throws {@link GenAIFeedbackException} (with the chat's trace id) from the
 * iteration, and again on every later read.
 *
 * <p>{@link #close()} hangs up if the answer is unfinished: the service stops generating and
 * records the trace as cancelled. Use it in try-with-resources. Not thread-safe; iterate once.
 */
public final class ChatStream implements Iterable<String>, AutoCloseable {

  private final Context.CancellableContext context;
  private final Iterator<ChatResponse> responses;
  private final ChatStarted started;
  private final StringBuilder text = new StringBuilder();
  private final Iterator<String> tokens = new Tokens();
  private String nextToken;
  private int chunks;
  private ChatFinished finished;
  private GenAIFeedbackException error;
  private boolean done;

  /** Reads the first event, which must be {@code started}; throws if the call failed instead. */
  ChatStream(Context.CancellableContext context, Iterator<ChatResponse> responses) {
    this.context = context;
    this.responses = responses;
    ChatResponse first = read(null);
    if (first == null || first.getEventCase() != ChatResponse.EventCase.STARTED) {
      close();
      throw new IllegalStateException(
          "the chat stream did not start with a started event: "
              + (first == null ? "it was empty" : first.getEventCase()));
    }
    this.started = first.getStarted();
  }

  /** The MLflow trace id ({@code tr-} and 32 hex digits) this chat is recorded under. */
  public String traceId() {
    return started.getTraceId();
  }

  /** The request's client_request_id, echoed back by the service (a generated one if none given). */
  public String clientRequestId() {
    return started.getClientRequestId();
  }

  /** The stream's {@code started} event. */
  public ChatStarted started() {
    return started;
  }

  /** The text, in order, as it arrives (single use: every call returns the same one). */
  @Override
  public Iterator<String> iterator() {
    return tokens;
  }

  /**
   * Reads the rest of the stream and returns its {@code finished} event (trace id, finish reason,
   * token usage); {@link #text()} then holds the whole answer.
   *
   * @throws GenAIFeedbackException if the chat failed
   */
  public ChatFinished finish() {
    while (tokens.hasNext()) {
      tokens.next();
    }
    if (finished == null) {
      throw new IllegalStateException("the chat stream ended without a finished event");
    }
    return finished;
  }

  /** The {@code finished} event, once the stream has ended successfully. */
  public Optional<ChatFinished> finished() {
    return Optional.ofNullable(finished);
  }

  /** All text received so far. */
  public String text() {
    return text.toString();
  }

  /**
   * The generated chunks received so far (one event may carry several); after the end it equals
   * the usage's output tokens for the built-in and OpenAI-compatible models.
   */
  public int chunks() {
    return chunks;
  }

  /** Whether the stream has ended (finished, failed or closed). */
  public boolean isDone() {
    return done;
  }

  /** Hangs up if the stream has not ended; does nothing otherwise. */
  @Override
  public void close() {
    if (!done) {
      done = true;
      context.cancel(null);
    }
  }

  /** The next event, or null at the end of the stream. */
  private ChatResponse read(String traceId) {
    if (error != null) {
      throw error;
    }
    if (done) {
      return null;
    }
    try {
      if (responses.hasNext()) {
        return responses.next();
      }
      done = true;
      context.cancel(null); // releases the context; the call itself has already ended
      return null;
    } catch (StatusRuntimeException e) {
      done = true;
      context.cancel(null);
      error = GenAIFeedbackException.fromThrowable(e, traceId);
      throw error;
    }
  }

  private final class Tokens implements Iterator<String> {
    @Override
    public boolean hasNext() {
      while (nextToken == null) {
        ChatResponse event = read(traceId());
        if (event == null) {
          return false;
        }
        switch (event.getEventCase()) {
          case TOKEN:
            nextToken = event.getToken().getText();
            text.append(nextToken);
            chunks += Math.max(1, event.getToken().getChunkCount()); // 0: one (older services)
            break;
          case FINISHED:
            finished = event.getFinished();
            break;
          default:
            break; // an event this client does not know yet: skip it
        }
      }
      return true;
    }

    @Override
    public String next() {
      if (!hasNext()) {
        throw new NoSuchElementException("the chat stream has ended");
      }
      String token = nextToken;
      nextToken = null;
      return token;
    }
  }
}
