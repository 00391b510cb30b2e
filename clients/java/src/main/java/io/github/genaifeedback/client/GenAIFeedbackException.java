package io.github.genaifeedback.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.ResourceInfo;
import com.google.rpc.RetryInfo;
import io.github.genaifeedback.v1.ErrorReason;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A call that ended with a non-OK status, with everything the service said about it (AIP-193):
 * the status code and message, the {@code google.rpc.ErrorInfo} reason, domain and metadata, the
 * {@code google.rpc.BadRequest} field violations, the {@code google.rpc.RetryInfo} delay, the
 * {@code google.rpc.ResourceInfo} of a missing resource and, for a chat, its MLflow trace id.
 *
 * <p>Match on {@link #reason()} (or {@link #errorReason()}), never on the message text.
 */
public class GenAIFeedbackException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** The {@code google.rpc.ErrorInfo.domain} of every error the service sends. */
  public static final String DOMAIN = "genaifeedback";

  /** Trailing metadata key under which the service names a failed chat's trace. */
  public static final Metadata.Key<String> TRACE_ID_TRAILER =
      Metadata.Key.of("mlflow-trace-id", Metadata.ASCII_STRING_MARSHALLER);

  private final Status.Code code;
  private final String description;
  private final String reason;
  private final String domain;
  private final Map<String, String> metadata;
  private final List<FieldViolation> fieldViolations;
  private final Duration retryDelay;
  private final String resourceType;
  private final String resourceName;
  private final String traceId;

  private GenAIFeedbackException(
      Status.Code code,
      String description,
      String reason,
      String domain,
      Map<String, String> metadata,
      List<FieldViolation> fieldViolations,
      Duration retryDelay,
      String resourceType,
      String resourceName,
      String traceId,
      Throwable cause) {
    super(summary(code, reason, description), cause);
    this.code = code;
    this.description = description;
    this.reason = reason;
    this.domain = domain;
    this.metadata = Map.copyOf(metadata);
    this.fieldViolations = List.copyOf(fieldViolations);
    this.retryDelay = retryDelay;
    this.resourceType = resourceType;
    this.resourceName = resourceName;
    this.traceId = traceId;
  }

  /**
   * Decodes a failed call's status and its {@code grpc-status-details-bin} trailer.
   *
   * @param error what a gRPC stub threw (a {@code StatusRuntimeException} or
   *     {@code StatusException}; anything else becomes {@code UNKNOWN})
   * @param knownTraceId the chat's trace id if the caller already knows it (from the stream's
   *     {@code started} event), else null
   */
  public static GenAIFeedbackException fromThrowable(Throwable error, String knownTraceId) {
    Status status = Status.fromThrowable(error);
    Metadata trailers = Status.trailersFromThrowable(error);
    String reason = "";
    String domain = "";
    Map<String, String> metadata = Map.of();
    List<FieldViolation> violations = new ArrayList<>();
    Duration retryDelay = null;
    String resourceType = "";
    String resourceName = "";
    com.google.rpc.Status details;
    try {
      details = StatusProto.fromThrowable(error);
    } catch (IllegalArgumentException inconsistent) {
      details = null; // details whose code differs from the status's: report the status alone
    }
    if (details != null) {
      for (Any detail : details.getDetailsList()) {
        try {
          if (detail.is(ErrorInfo.class)) {
            ErrorInfo info = detail.unpack(ErrorInfo.class);
            reason = info.getReason();
            domain = info.getDomain();
            metadata = info.getMetadataMap();
          } else if (detail.is(BadRequest.class)) {
            for (BadRequest.FieldViolation v :
                detail.unpack(BadRequest.class).getFieldViolationsList()) {
              violations.add(new FieldViolation(v.getField(), v.getDescription(), v.getReason()));
            }
          } else if (detail.is(RetryInfo.class)) {
            com.google.protobuf.Duration delay = detail.unpack(RetryInfo.class).getRetryDelay();
            retryDelay = Duration.ofSeconds(delay.getSeconds(), delay.getNanos());
          } else if (detail.is(ResourceInfo.class)) {
            ResourceInfo info = detail.unpack(ResourceInfo.class);
            resourceType = info.getResourceType();
            resourceName = info.getResourceName();
          }
        } catch (InvalidProtocolBufferException garbled) {
          // a detail that does not parse as its own type: keep what the others say
        }
      }
    }
    String traceId = metadata.get("trace_id");
    if (traceId == null && trailers != null) {
      traceId = trailers.get(TRACE_ID_TRAILER);
    }
    if (traceId == null || traceId.isEmpty()) {
      traceId = knownTraceId;
    }
    String description = status.getDescription() == null ? "" : status.getDescription();
    return new GenAIFeedbackException(
        status.getCode(),
        description,
        reason,
        domain,
        metadata,
        violations,
        retryDelay,
        resourceType,
        resourceName,
        traceId == null || traceId.isEmpty() ? null : traceId,
        error);
  }

  private static String summary(Status.Code code, String reason, String description) {
    return code + (reason.isEmpty() ? "" : " (" + reason + ")") + ": " + description;
  }

  /** The gRPC status code, for example {@code NOT_FOUND}. */
  public Status.Code code() {
    return code;
  }

  /** The status message, in English; it may change, so do not match on it. */
  public String description() {
    return description;
  }

  /**
   * The {@code ErrorInfo.reason}: a value name of {@link ErrorReason}, for example
   * {@code "TRACE_NOT_FOUND"}; empty if the status carried no ErrorInfo.
   */
  public String reason() {
    return reason;
  }

  /**
   * The reason as the generated enum: {@code ERROR_REASON_UNSPECIFIED} if none was sent,
   * {@code UNRECOGNIZED} if this client does not know it yet.
   */
  public ErrorReason errorReason() {
    if (reason.isEmpty()) {
      return ErrorReason.ERROR_REASON_UNSPECIFIED;
    }
    try {
      return ErrorReason.valueOf(reason);
    } catch (IllegalArgumentException unknown) {
      return ErrorReason.UNRECOGNIZED;
    }
  }

  /** The {@code ErrorInfo.domain}: {@value #DOMAIN} (empty if no ErrorInfo came). */
  public String domain() {
    return domain;
  }

  /**
   * The {@code ErrorInfo.metadata}, for example {@code trace_id} or {@code client_request_id};
   * empty if none.
   */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Every field violation of an {@code INVALID_FIELD} error, in the order sent; else empty. */
  public List<FieldViolation> fieldViolations() {
    return fieldViolations;
  }

  /** How long to wait before retrying (RetryInfo), sent with UNAVAILABLE and RESOURCE_EXHAUSTED. */
  public Optional<Duration> retryDelay() {
    return Optional.ofNullable(retryDelay);
  }

  /** The {@code ResourceInfo.resource_type} of a NOT_FOUND, else empty. */
  public String resourceType() {
    return resourceType;
  }

  /** The {@code ResourceInfo.resource_name} of a NOT_FOUND, else empty. */
  public String resourceName() {
    return resourceName;
  }

  /**
   * The MLflow trace the failed call is about: a failed chat's trace (which records the error),
   * or the trace a feedback named. From ErrorInfo metadata {@code trace_id}, the
   * {@code mlflow-trace-id} trailer, or the chat's {@code started} event.
   */
  public Optional<String> traceId() {
    return Optional.ofNullable(traceId);
  }
}
