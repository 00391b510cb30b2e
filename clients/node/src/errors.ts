// The service's error model (AIP-193), decoded once so callers never touch grpc-status-details-bin.
import { Metadata, status as Status, type ServiceError } from "@grpc/grpc-js";
import { Status as RpcStatus } from "./gen/google/rpc/status";
import { BadRequest, ErrorInfo, ResourceInfo, RetryInfo } from "./gen/google/rpc/error_details";

/** The trailing metadata key holding the serialized google.rpc.Status of a failed call. */
export const STATUS_DETAILS_KEY = "grpc-status-details-bin";
/** The trailing metadata key under which the service names a failed chat's trace. */
export const TRACE_ID_METADATA_KEY = "mlflow-trace-id";
/** The google.rpc.ErrorInfo domain of every error the service sends. */
export const ERROR_DOMAIN = "genaifeedback";

/** One google.rpc.BadRequest field violation. */
export interface FieldViolation {
  /** The request field's path as in the .proto, e.g. `ratings[1].score` or `metadata["key"]`. */
  field: string;
  /** What is wrong, in English. */
  description: string;
  /** A FieldViolationReason value name (`REQUIRED`, `TOO_LONG`, ...); "" if the server sent none. */
  reason: string;
}

/** The google.rpc.ResourceInfo of a NOT_FOUND: what was looked up. */
export interface ResourceDetails {
  resourceType: string;
  resourceName: string;
  owner: string;
  description: string;
}

const TYPE_PREFIX = "type.googleapis.com/";

/**
 * A call that ended with a non-OK status, with the service's rich status details decoded.
 *
 * Match on `reason` (an ErrorReason value name, e.g. `"TRACE_NOT_FOUND"`), not on `message`.
 */
export class GenAIFeedbackError extends Error {
  /** The gRPC status code (a value of grpc-js `status`). */
  readonly code: Status;
  /** The status code's name, e.g. `"NOT_FOUND"`. */
  readonly codeName: string;
  /** The status message the service sent. */
  readonly details: string;
  /** google.rpc.ErrorInfo.reason: an ErrorReason value name; undefined if the status had no ErrorInfo. */
  readonly reason: string | undefined;
  /** google.rpc.ErrorInfo.domain (`"genaifeedback"`); undefined if the status had no ErrorInfo. */
  readonly domain: string | undefined;
  /** google.rpc.ErrorInfo.metadata, e.g. `{ trace_id: "tr-..." }`; empty without ErrorInfo. */
  readonly metadata: Readonly<Record<string, string>>;
  /** google.rpc.BadRequest field violations: everything wrong with the request at once. */
  readonly fieldViolations: readonly FieldViolation[];
  /** google.rpc.RetryInfo.retry_delay in milliseconds (UNAVAILABLE, RESOURCE_EXHAUSTED); else undefined. */
  readonly retryDelayMs: number | undefined;
  /** google.rpc.ResourceInfo (NOT_FOUND); else undefined. */
  readonly resource: ResourceDetails | undefined;
  /**
   * The trace the error is about: a failed chat's trace (trailer `mlflow-trace-id`, else ErrorInfo
   * metadata `trace_id`, else the stream's `started` event), so feedback can still be given on it;
   * for a feedback error, the ErrorInfo's `trace_id` if it names one.
   */
  readonly traceId: string | undefined;
  /** The call's trailing metadata, as grpc-js received it. */
  readonly trailers: Metadata;

  constructor(init: {
    code: Status;
    details: string;
    reason?: string;
    domain?: string;
    metadata?: Record<string, string>;
    fieldViolations?: FieldViolation[];
    retryDelayMs?: number;
    resource?: ResourceDetails;
    traceId?: string;
    trailers?: Metadata;
    cause?: unknown;
  }) {
    const codeName = Status[init.code] ?? String(init.code);
    const reason = init.reason ? ` (${init.reason})` : "";
    super(`${codeName}${reason}: ${init.details}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "GenAIFeedbackError";
    this.code = init.code;
    this.codeName = codeName;
    this.details = init.details;
    this.reason = init.reason;
    this.domain = init.domain;
    this.metadata = Object.freeze({ ...(init.metadata ?? {}) });
    this.fieldViolations = Object.freeze([...(init.fieldViolations ?? [])]);
    this.retryDelayMs = init.retryDelayMs;
    this.resource = init.resource;
    this.traceId = init.traceId;
    this.trailers = init.trailers ?? new Metadata();
  }

  /**
   * Decode a grpc-js ServiceError: the google.rpc.Status in its trailers (ErrorInfo, BadRequest,
   * RetryInfo, ResourceInfo) and the chat's trace id. `traceId` is a fallback, e.g. from the
   * stream's `started` event. Anything that is not a gRPC error is returned unchanged.
   */
  static fromServiceError(error: unknown, traceId?: string): unknown {
    if (error instanceof GenAIFeedbackError || !isServiceError(error)) {
      return error;
    }
    const trailers = error.metadata instanceof Metadata ? error.metadata : new Metadata();
    const decoded = decodeStatusDetails(trailers, error.code);
    const trailerTraceId = firstString(trailers, TRACE_ID_METADATA_KEY);
    return new GenAIFeedbackError({
      code: error.code,
      details: decoded.message ?? error.details ?? "",
      ...decoded.fields,
      traceId: trailerTraceId || decoded.fields.metadata?.trace_id || traceId || undefined,
      trailers,
      cause: error,
    });
  }
}

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === "number" && "details" in error;
}

function firstString(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === "string" ? value : undefined;
}

type DecodedFields = {
  reason?: string;
  domain?: string;
  metadata?: Record<string, string>;
  fieldViolations?: FieldViolation[];
  retryDelayMs?: number;
  resource?: ResourceDetails;
};

/** The details of the google.rpc.Status in `grpc-status-details-bin`, if any and consistent with `code`. */
function decodeStatusDetails(trailers: Metadata, code: Status): { message?: string; fields: DecodedFields } {
  const raw = trailers.get(STATUS_DETAILS_KEY)[0];
  if (!Buffer.isBuffer(raw)) {
    return { fields: {} };
  }
  let status: RpcStatus;
  try {
    status = RpcStatus.decode(raw);
  } catch {
    return { fields: {} }; // unreadable details: report the status alone
  }
  if (status.code !== code) {
    return { fields: {} }; // details inconsistent with the status (gRPC says: ignore them)
  }
  const fields: DecodedFields = {};
  for (const detail of status.details) {
    if (!detail.typeUrl.startsWith(TYPE_PREFIX)) {
      continue;
    }
    try {
      switch (detail.typeUrl.slice(TYPE_PREFIX.length)) {
        case "google.rpc.ErrorInfo": {
          const info = ErrorInfo.decode(detail.value);
          fields.reason = info.reason;
          fields.domain = info.domain;
          fields.metadata = { ...info.metadata };
          break;
        }
        case "google.rpc.BadRequest": {
          const badRequest = BadRequest.decode(detail.value);
          fields.fieldViolations = [
            ...(fields.fieldViolations ?? []),
            ...badRequest.fieldViolations.map(({ field, description, reason }) => ({ field, description, reason })),
          ];
          break;
        }
        case "google.rpc.RetryInfo": {
          const delay = RetryInfo.decode(detail.value).retryDelay;
          if (delay) {
            fields.retryDelayMs = delay.seconds * 1000 + Math.round(delay.nanos / 1e6);
          }
          break;
        }
        case "google.rpc.ResourceInfo": {
          const { resourceType, resourceName, owner, description } = ResourceInfo.decode(detail.value);
          fields.resource = { resourceType, resourceName, owner, description };
          break;
        }
        default: // other detail types are not part of this service's model
      }
    } catch {
      // one unreadable detail does not hide the others
    }
  }
  return { message: status.message || undefined, fields };
}
