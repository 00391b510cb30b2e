// @genaifeedback/client: the GenAI chat and feedback service's Node.js client.
export {
  ChatStream,
  GenAIFeedbackClient,
  SERVICE_CONFIG,
  defaultChannelOptions,
  type ChatEvent,
  type ChatOptions,
  type ChatResult,
  type ClientOptions,
  type CorrectionInput,
  type DeleteInput,
  type DeleteResult,
  type EraseInput,
  type EraseProgress,
  type FeedbackInput,
  type FeedbackRecord,
  type FeedbackRef,
  type FeedbackResult,
  type FeedbackStateName,
  type FeedbackStatus,
  type FeedbackStatusInput,
  type FinishReasonName,
  type JsonValue,
  type ListFeedbackInput,
  type RatingsInput,
  type RatingsResult,
  type RoleName,
  type SourceTypeName,
  type Target,
  type ThumbsInput,
  type Usage,
} from "./client";
export {
  ERROR_DOMAIN,
  GenAIFeedbackError,
  STATUS_DETAILS_KEY,
  TRACE_ID_METADATA_KEY,
  type FieldViolation,
  type ResourceDetails,
} from "./errors";
// The reasons as generated constants: `error.reason === ErrorReason.TRACE_NOT_FOUND`.
export { ErrorReason, FieldViolationReason } from "./gen/genaifeedback/v1/errors";
// The generated messages and stubs, for anything the client does not wrap.
export * as v1 from "./v1";
export * as rpc from "./rpc";
