package io.github.genaifeedback.client;

import io.github.genaifeedback.v1.FieldViolationReason;
import java.util.Objects;

/**
 * One problem with one request field, from the {@code google.rpc.BadRequest} detail of an
 * {@code INVALID_FIELD} error.
 *
 * @param field the field's path as in the .proto, for example {@code ratings[1].score} or
 *     {@code metadata["key"]}
 * @param description what is wrong, in English (may change; do not match on it)
 * @param reason a value name of {@link FieldViolationReason}, for example {@code "TOO_LONG"}
 *     (empty if the service sent none)
 */
public record FieldViolation(String field, String description, String reason) {

  public FieldViolation {
    Objects.requireNonNull(field, "field");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(reason, "reason");
  }

  /**
   * The reason as the generated enum: {@code FIELD_VIOLATION_REASON_UNSPECIFIED} if none was sent,
   * {@code UNRECOGNIZED} if this client does not know it yet.
   */
  public FieldViolationReason violationReason() {
    if (reason.isEmpty()) {
      return FieldViolationReason.FIELD_VIOLATION_REASON_UNSPECIFIED;
    }
    try {
      return FieldViolationReason.valueOf(reason);
    } catch (IllegalArgumentException unknown) {
      return FieldViolationReason.UNRECOGNIZED;
    }
  }
}
