package io.github.genaifeedback.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.ResourceInfo;
import com.google.rpc.RetryInfo;
import io.github.genaifeedback.v1.ErrorReason;
import io.github.genaifeedback.v1.FieldViolationReason;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Decoding of the details the service sends that the live tests cannot provoke on demand
 * (RetryInfo, a failed chat's trace id), from statuses built as the service builds them.
 */
class GenAIFeedbackExceptionTest {

  private static final String TRACE = "tr-0123456789abcdef0123456789abcdef";

  @Test
  void decodesErrorInfoRetryInfoAndTheTraceIdOfAFailedChat() {
    com.google.rpc.Status status =
        com.google.rpc.Status.newBuilder()
            .setCode(Code.UNAVAILABLE_VALUE)
            .setMessage("model endpoint unreachable")
            .addDetails(
                Any.pack(
                    ErrorInfo.newBuilder()
                        .setReason("MODEL_UNAVAILABLE")
                        .setDomain("genaifeedback")
                        .putMetadata("trace_id", TRACE)
                        .build()))
            .addDetails(
                Any.pack(
                    RetryInfo.newBuilder()
                        .setRetryDelay(
                            com.google.protobuf.Duration.newBuilder().setSeconds(1).setNanos(500_000_000))
                        .build()))
            .build();
    GenAIFeedbackException error =
        GenAIFeedbackException.fromThrowable(StatusProto.toStatusRuntimeException(status), null);
    assertEquals(Status.Code.UNAVAILABLE, error.code());
    assertEquals("model endpoint unreachable", error.description());
    assertEquals(ErrorReason.MODEL_UNAVAILABLE, error.errorReason());
    assertEquals("genaifeedback", error.domain());
    assertEquals(TRACE, error.traceId().orElseThrow());
    assertEquals(Duration.ofMillis(1500), error.retryDelay().orElseThrow());
    assertEquals("UNAVAILABLE (MODEL_UNAVAILABLE): model endpoint unreachable", error.getMessage());
  }

  @Test
  void decodesFieldViolationsAndResourceInfo() {
    com.google.rpc.Status status =
        com.google.rpc.Status.newBuilder()
            .setCode(Code.INVALID_ARGUMENT_VALUE)
            .setMessage("invalid request")
            .addDetails(
                Any.pack(
                    BadRequest.newBuilder()
                        .addFieldViolations(
                            BadRequest.FieldViolation.newBuilder()
                                .setField("ratings[1].score")
                                .setDescription("must be from 1 to 5")
                                .setReason("OUT_OF_RANGE"))
                        .addFieldViolations(
                            BadRequest.FieldViolation.newBuilder()
                                .setField("name")
                                .setDescription("new kind")
                                .setReason("SOMETHING_NEW"))
                        .build()))
            .addDetails(
                Any.pack(
                    ResourceInfo.newBuilder()
                        .setResourceType("mlflow.trace")
                        .setResourceName(TRACE)
                        .build()))
            .build();
    GenAIFeedbackException error =
        GenAIFeedbackException.fromThrowable(StatusProto.toStatusRuntimeException(status), null);
    assertEquals(ErrorReason.ERROR_REASON_UNSPECIFIED, error.errorReason());
    assertEquals(
        List.of(
            new FieldViolation("ratings[1].score", "must be from 1 to 5", "OUT_OF_RANGE"),
            new FieldViolation("name", "new kind", "SOMETHING_NEW")),
        error.fieldViolations());
    assertEquals(FieldViolationReason.OUT_OF_RANGE, error.fieldViolations().get(0).violationReason());
    assertEquals(FieldViolationReason.UNRECOGNIZED, error.fieldViolations().get(1).violationReason());
    assertEquals("mlflow.trace", error.resourceType());
    assertEquals(TRACE, error.resourceName());
  }

  @Test
  void takesTheTraceIdFromTheTrailerOrTheStartedEvent() {
    Metadata trailers = new Metadata();
    trailers.put(GenAIFeedbackException.TRACE_ID_TRAILER, TRACE);
    StatusRuntimeException withTrailer =
        Status.INTERNAL.withDescription("boom").asRuntimeException(trailers);
    assertEquals(TRACE, GenAIFeedbackException.fromThrowable(withTrailer, null).traceId().orElseThrow());

    StatusRuntimeException bare = Status.CANCELLED.asRuntimeException();
    GenAIFeedbackException error = GenAIFeedbackException.fromThrowable(bare, TRACE);
    assertEquals(TRACE, error.traceId().orElseThrow());
    assertEquals("", error.reason());
    assertTrue(error.fieldViolations().isEmpty());
    assertTrue(error.retryDelay().isEmpty());
  }
}
