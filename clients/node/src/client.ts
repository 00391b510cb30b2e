// A thin client over the generated grpc-js stubs: streamed chats, feedback, ratings, decoded errors.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  credentials as grpcCredentials,
  Metadata,
  type CallOptions,
  type ChannelCredentials,
  type ChannelOptions,
  type ClientReadableStream,
  type ServiceError,
} from "@grpc/grpc-js";
import {
  ChatServiceClient,
  FinishReason,
  Role,
  type ChatFinished,
  type ChatMessage,
  type ChatRequest,
  type ChatResponse,
  type CompleteChatResponse,
  type TokenUsage,
} from "./gen/genaifeedback/v1/chat";
import {
  FeedbackServiceClient,
  FeedbackState,
  SourceType,
  type CorrectFeedbackRequest,
  type CorrectFeedbackResponse,
  type DeleteFeedbackRequest,
  type DeleteFeedbackResponse,
  type EraseFeedbackBySourceResponse,
  type FeedbackRecord as FeedbackRecordMessage,
  type FeedbackSource,
  type GetFeedbackResponse,
  type GetFeedbackStatusRequest,
  type GetFeedbackStatusResponse,
  type ListFeedbackRequest,
  type ListFeedbackResponse,
  type SubmitFeedbackRequest,
  type SubmitFeedbackResponse,
  type SubmitRatingsRequest,
  type SubmitRatingsResponse,
} from "./gen/genaifeedback/v1/feedback";
import { GenAIFeedbackError } from "./errors";

/**
 * The gRPC service config shipped with this package (a copy of the project's
 * clients/service_config.json): per-method timeouts and the retry policy (UNAVAILABLE retried on
 * FeedbackService; retries resend the same request_id, so they record nothing twice).
 */
export const SERVICE_CONFIG: Readonly<Record<string, unknown>> = Object.freeze(
  JSON.parse(readFileSync(join(__dirname, "..", "service_config.json"), "utf8")),
);

/**
 * The channel options the client uses unless overridden: the shipped service config as the
 * channel's default config, and no DNS TXT lookups that could replace it.
 */
export function defaultChannelOptions(): ChannelOptions {
  return {
    "grpc.service_config": JSON.stringify(SERVICE_CONFIG),
    "grpc.service_config_disable_resolution": 1,
  };
}

export interface ClientOptions {
  /** Channel credentials; default: insecure (plaintext), for a service on a trusted network. */
  credentials?: ChannelCredentials;
  /** Extra grpc-js channel options, merged over defaultChannelOptions(). */
  channelOptions?: ChannelOptions;
}

export type RoleName = "system" | "user" | "assistant";

export interface ChatOptions {
  /** Earlier turns, oldest first. */
  history?: ReadonlyArray<{ role: RoleName; content: string }>;
  /** Your id for this request, so feedback can target it later; default: a new UUID. */
  clientRequestId?: string;
  userId?: string;
  sessionId?: string;
  tags?: Record<string, string>;
  maxTokens?: number;
  temperature?: number;
  /** grpc-js call options (deadline, ...); the service config's timeout applies otherwise. */
  callOptions?: CallOptions;
}

export type FinishReasonName = "stop" | "length" | "content_filter" | "";

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

/** One event of a chat stream. */
export type ChatEvent =
  | { type: "started"; traceId: string; clientRequestId: string }
  /** Generated text: one chunk, or `chunks` of them joined in order when the reader fell behind. */
  | { type: "token"; text: string; chunks: number }
  | {
      type: "finished";
      traceId: string;
      clientRequestId: string;
      finishReason: FinishReasonName;
      usage: Usage;
      /** Lets the end user rate this answer and nothing else ("" when the service issues none). */
      feedbackToken: string;
    };

export interface ChatResult {
  text: string;
  traceId: string;
  clientRequestId: string;
  finishReason: FinishReasonName;
  usage: Usage;
  /** Lets the end user rate this answer and nothing else ("" when the service issues none). */
  feedbackToken: string;
}

/** Which trace feedback is about: exactly one of the two. */
export type Target = { traceId: string; clientRequestId?: undefined } | { clientRequestId: string; traceId?: undefined };

export type SourceTypeName = "HUMAN" | "LLM_JUDGE" | "CODE";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

interface FeedbackCommon {
  /** Who gave it; default: HUMAN without id. */
  source?: { type?: SourceTypeName; id?: string };
  rationale?: string;
  metadata?: Record<string, string>;
  /** Attach to this span (16 hex digits) instead of the whole trace. */
  spanId?: string;
  /** Idempotency key, reused by every retry; default: a new UUID per call. */
  requestId?: string;
  /**
   * A feedback token (a chat's final event carries one): the feedback is then the token's end
   * user's (source HUMAN, the token's user), on the token's trace only.
   */
  feedbackToken?: string;
  /**
   * Answer only once the feedback is in MLflow (state `STORED`), or shortly before the call's
   * deadline (state `PENDING`: journaled by the service, still on its way). Default: false, answer
   * as soon as the service has journaled it (usually `PENDING`). While waiting, a feedback found
   * never to be storable rejects the call (e.g. NOT_FOUND / TRACE_NOT_FOUND).
   */
  waitUntilStored?: boolean;
  /**
   * When the user gave the feedback, by the caller's clock: of one rater's votes (same source id)
   * the one with the latest clientTime is current, whatever order they arrive in. Default: when
   * the service receives the call. At most 5 minutes ahead, and not before 2000.
   */
  clientTime?: Date;
  callOptions?: CallOptions;
}

/** A feedback without its value: what thumbsUp() and thumbsDown() take. */
export type ThumbsInput = Target &
  FeedbackCommon & {
    /** The assessment name; default (server side): `user_feedback`. */
    name?: string;
  };

export type FeedbackInput = ThumbsInput & {
  /** boolean (thumbs), number (score), string (category/text), or an object/array (JSON). */
  value: boolean | number | string | JsonValue;
};

export type RatingsInput = Target &
  FeedbackCommon & {
    /** Dimension name to score (1-5), e.g. `{ accuracy: 4, helpfulness: 5 }`, or a list of pairs. */
    ratings: Record<string, number> | ReadonlyArray<{ name: string; score: number }>;
  };

/**
 * Where a feedback is on its way to MLflow: `PENDING` (durably journaled by the service, not in
 * MLflow yet), `STORED` (in MLflow), `EXPIRED` (its trace did not appear in MLflow within the
 * service's attach window), `REJECTED` (MLflow refused it, or its request id was reused),
 * `DELETED` (deleted since: a retry of it records nothing); `UNKNOWN` if the service sent no state
 * or one newer than this client.
 */
export type FeedbackStateName = "PENDING" | "STORED" | "EXPIRED" | "REJECTED" | "DELETED" | "UNKNOWN";

export interface FeedbackResult {
  assessmentId: string;
  /** The trace it is (to be) recorded on; "" while a clientRequestId target is not resolved yet. */
  traceId: string;
  /** The request_id sent: call again with it to retry safely, or ask getFeedbackStatus with it. */
  requestId: string;
  /** `PENDING` or `STORED` (`STORED` once in MLflow; see `waitUntilStored`). */
  state: FeedbackStateName;
}

export interface RatingsResult {
  /** The trace they are (to be) recorded on; "" while a clientRequestId target is not resolved yet. */
  traceId: string;
  /** Dimension name to MLflow assessment id. */
  assessmentIds: Record<string, string>;
  requestId: string;
  /** `PENDING` or `STORED`, for all the dimensions together. */
  state: FeedbackStateName;
}

/**
 * Which feedback getFeedbackStatus asks about: the target it was sent to (`traceId` or
 * `clientRequestId`, as sent: a request id is only known on the target it was sent with) and
 * exactly one of its `requestId` and `assessmentId` (for ratings: their request id, or the
 * assessment id of the first dimension in name order).
 */
export type FeedbackStatusInput = Target &
  ({ requestId: string; assessmentId?: undefined } | { assessmentId: string; requestId?: undefined }) & {
    callOptions?: CallOptions;
  };

export interface FeedbackStatus {
  state: FeedbackStateName;
  /** The trace it is (to be) recorded on; "" while a clientRequestId target is not resolved yet. */
  traceId: string;
  /** Its assessment ids by feedback name (one per dimension for ratings). */
  assessmentIds: Record<string, string>;
  /** For EXPIRED and REJECTED: why, as an ErrorReason value name (e.g. `TRACE_NOT_FOUND`); else "". */
  reason: string;
}

/** One feedback as MLflow stores it (getFeedback, listFeedback), with its place in its vote's history. */
export interface FeedbackRecord {
  assessmentId: string;
  traceId: string;
  /** "" for the whole trace. */
  spanId: string;
  name: string;
  /** As given: boolean, number, string or a JSON object/array; undefined for a kind newer than this client. */
  value: boolean | number | string | JsonValue | undefined;
  /** Who gave it; `type` "UNKNOWN" for a source type newer than this client; `id` "" if anonymous. */
  source: { type: SourceTypeName | "UNKNOWN"; id: string };
  rationale: string;
  /** Its metadata, the service's own keys (`genaifeedback.`) included. */
  metadata: Record<string, string>;
  /** When it was given (its clientTime, or when the service received it). */
  createTime: Date | undefined;
  /** When MLflow last changed it. */
  updateTime: Date | undefined;
  /** False once a later vote by the same source, or a correction, replaced it. */
  current: boolean;
  /** The assessment id this one replaced; "" if none. */
  overrides: string;
  /** The assessment id that replaced this one; "" if none. */
  overriddenBy: string;
}

/** Which stored feedback one getFeedback / deleteFeedback names: its trace and its assessment id. */
export type FeedbackRef = Target & { assessmentId: string; callOptions?: CallOptions };

/**
 * Which stored feedback listFeedback lists: that on one trace (`traceId` or `clientRequestId`), or
 * that one `sourceId` gave on any trace.
 */
export type ListFeedbackInput = (
  | { traceId: string; clientRequestId?: undefined; sourceId?: undefined }
  | { clientRequestId: string; traceId?: undefined; sourceId?: undefined }
  | { sourceId: string; traceId?: undefined; clientRequestId?: undefined }
) & {
  /** Only feedback with this name. */
  name?: string;
  /**
   * Only feedback given at or after `start` and before `end`. For a sourceId, `start` also bounds
   * the traces searched (default: the last 30 days).
   */
  start?: Date;
  end?: Date;
  /** Also the votes that were replaced, not only the current ones. */
  includeHistory?: boolean;
  /** Records fetched per call, 1 to 1000; default: the service's, 100. */
  pageSize?: number;
  callOptions?: CallOptions;
};

/** An expert's or a judge's corrected value for a stored feedback. */
export type CorrectionInput = FeedbackRef & {
  /** The corrected value, of the same feedback name and schema. */
  value: boolean | number | string | JsonValue;
  /** Who corrects it: an id is required, so the correction can be traced to someone. */
  source: { type?: SourceTypeName; id: string };
  /** Why the value was wrong. Required. */
  rationale: string;
  metadata?: Record<string, string>;
  requestId?: string;
  waitUntilStored?: boolean;
};

/** What deleteFeedback deletes: one feedback with its history, or `allOnTrace`. */
export type DeleteInput = Target &
  ({ assessmentId: string; allOnTrace?: undefined } | { allOnTrace: true; assessmentId?: undefined }) & {
    callOptions?: CallOptions;
  };

export interface DeleteResult {
  traceId: string;
  /** The assessment ids deleted: empty when nothing was left to delete (deleting is idempotent). */
  deletedAssessmentIds: string[];
}

/** How far an erasure by source has got: counts so far, or the totals when `done`. */
export interface EraseProgress {
  tracesScanned: number;
  feedbackDeleted: number;
  /** Traces on which something was deleted. */
  tracesChanged: number;
  /** The erasure is complete. */
  done: boolean;
}

export interface EraseInput {
  /** The source id whose feedback to erase. */
  sourceId: string;
  /** Only feedback of this source type; default: any. */
  sourceType?: SourceTypeName;
  /** Called with each progress report the service streams (one per page of traces, the last `done`). */
  onProgress?: (progress: EraseProgress) => void;
  /** grpc-js call options, e.g. a `deadline` (the service config gives an erasure 600 s). */
  callOptions?: CallOptions;
}

const PAUSE_AT = 256; // responses buffered before the call stops reading

const ROLES: Record<RoleName, Role> = { system: Role.ROLE_SYSTEM, user: Role.ROLE_USER, assistant: Role.ROLE_ASSISTANT };
const STATES: Partial<Record<FeedbackState, FeedbackStateName>> = {
  [FeedbackState.FEEDBACK_STATE_PENDING]: "PENDING",
  [FeedbackState.FEEDBACK_STATE_STORED]: "STORED",
  [FeedbackState.FEEDBACK_STATE_EXPIRED]: "EXPIRED",
  [FeedbackState.FEEDBACK_STATE_REJECTED]: "REJECTED",
  [FeedbackState.FEEDBACK_STATE_DELETED]: "DELETED",
};
const SOURCE_TYPES: Record<SourceTypeName, SourceType> = {
  HUMAN: SourceType.SOURCE_TYPE_HUMAN,
  LLM_JUDGE: SourceType.SOURCE_TYPE_LLM_JUDGE,
  CODE: SourceType.SOURCE_TYPE_CODE,
};

/**
 * Chat with the GenAI feedback service and send feedback on the chats' MLflow traces.
 *
 * One channel serves both services; the shipped service config sets its timeouts and retries.
 * Every failed call rejects with a GenAIFeedbackError.
 */
export class GenAIFeedbackClient {
  /** The generated ChatService stub, for anything this client does not wrap. */
  readonly chatStub: ChatServiceClient;
  /** The generated FeedbackService stub, on the same channel. */
  readonly feedbackStub: FeedbackServiceClient;

  /** @param address host:port of the service, e.g. `127.0.0.1:50051` or `feedback.internal:443`. */
  constructor(address: string, options: ClientOptions = {}) {
    const channelOptions = { ...defaultChannelOptions(), ...options.channelOptions };
    const credentials = options.credentials ?? grpcCredentials.createInsecure();
    this.chatStub = new ChatServiceClient(address, credentials, channelOptions);
    this.feedbackStub = new FeedbackServiceClient(address, credentials, {
      ...channelOptions,
      channelOverride: this.chatStub.getChannel(),
    });
  }

  /** Close the channel; calls in flight are cancelled. */
  close(): void {
    this.chatStub.close();
  }

  /**
   * Start a streamed chat. Iterate the result for its events (`started` first, with the trace id),
   * or its `tokens()` for the text alone.
   */
  chat(message: string, options: ChatOptions = {}): ChatStream {
    const request = chatRequest(message, options);
    const call = this.chatStub.chat(request, new Metadata(), options.callOptions ?? {});
    return new ChatStream(call, request.clientRequestId);
  }

  /** The whole answer at once (CompleteChat). Not retried: every call is a new chat and trace. */
  async completeChat(message: string, options: ChatOptions = {}): Promise<ChatResult> {
    const request = chatRequest(message, options);
    const response = await unary<CompleteChatResponse>((cb) =>
      this.chatStub.completeChat(request, new Metadata(), options.callOptions ?? {}, cb),
    );
    return {
      text: response.text,
      traceId: response.traceId,
      clientRequestId: response.clientRequestId || request.clientRequestId,
      finishReason: finishReasonName(response.finishReason),
      usage: usage(response.usage),
      feedbackToken: response.feedbackToken,
    };
  }

  /** Record one feedback on a trace, addressed by `traceId` or by the chat's `clientRequestId`. */
  async submitFeedback(input: FeedbackInput): Promise<FeedbackResult> {
    const requestId = input.requestId ?? randomUUID();
    const request: SubmitFeedbackRequest = {
      ...target(input),
      ...feedbackValue(input.value),
      spanId: input.spanId ?? "",
      name: input.name ?? "",
      source: source(input.source),
      rationale: input.rationale ?? "",
      metadata: { ...input.metadata },
      requestId,
      waitUntilStored: input.waitUntilStored ?? false,
      clientTime: input.clientTime,
      feedbackToken: input.feedbackToken ?? "",
    };
    const response = await unary<SubmitFeedbackResponse>((cb) =>
      this.feedbackStub.submitFeedback(request, new Metadata(), input.callOptions ?? {}, cb),
    );
    return { assessmentId: response.assessmentId, traceId: response.traceId, requestId, state: stateName(response.state) };
  }

  /** submitFeedback with value `true`. */
  thumbsUp(input: ThumbsInput): Promise<FeedbackResult> {
    return this.submitFeedback({ ...input, value: true });
  }

  /** submitFeedback with value `false`. */
  thumbsDown(input: ThumbsInput): Promise<FeedbackResult> {
    return this.submitFeedback({ ...input, value: false });
  }

  /** Rate several dimensions of one trace, one MLflow assessment each: all are recorded, or none. */
  async submitRatings(input: RatingsInput): Promise<RatingsResult> {
    const requestId = input.requestId ?? randomUUID();
    const ratings = Array.isArray(input.ratings)
      ? input.ratings.map(({ name, score }) => ({ name, score }))
      : Object.entries(input.ratings).map(([name, score]) => ({ name, score }));
    const request: SubmitRatingsRequest = {
      ...target(input),
      spanId: input.spanId ?? "",
      ratings,
      source: source(input.source),
      rationale: input.rationale ?? "",
      metadata: { ...input.metadata },
      requestId,
      waitUntilStored: input.waitUntilStored ?? false,
      clientTime: input.clientTime,
      feedbackToken: input.feedbackToken ?? "",
    };
    const response = await unary<SubmitRatingsResponse>((cb) =>
      this.feedbackStub.submitRatings(request, new Metadata(), input.callOptions ?? {}, cb),
    );
    return {
      traceId: response.traceId,
      assessmentIds: { ...response.assessmentIds },
      requestId,
      state: stateName(response.state),
    };
  }

  /**
   * What became of a feedback (GetFeedbackStatus): `PENDING`, `STORED`, `EXPIRED`, `REJECTED` or
   * `DELETED`.
   * Name it by the target it was sent to and its `requestId` or `assessmentId`. Ask the same
   * service address (the replica that took it remembers it for a day; any replica knows it once
   * STORED). Rejects with NOT_FOUND (TRACE_NOT_FOUND) if neither the replica nor MLflow knows it.
   */
  async getFeedbackStatus(input: FeedbackStatusInput): Promise<FeedbackStatus> {
    const byRequest = input.requestId !== undefined;
    if (byRequest === (input.assessmentId !== undefined)) {
      throw new TypeError("give exactly one of requestId and assessmentId");
    }
    const request: GetFeedbackStatusRequest = {
      ...target(input),
      ...(byRequest ? { requestId: input.requestId } : { assessmentId: input.assessmentId }),
    };
    const response = await unary<GetFeedbackStatusResponse>((cb) =>
      this.feedbackStub.getFeedbackStatus(request, new Metadata(), input.callOptions ?? {}, cb),
    );
    return {
      state: stateName(response.state),
      traceId: response.traceId,
      assessmentIds: { ...response.assessmentIds },
      reason: response.reason,
    };
  }

  /**
   * One stored feedback, read back from MLflow, with whether it is the current vote and what it
   * replaced or was replaced by. Rejects with NOT_FOUND (FEEDBACK_NOT_FOUND) if MLflow does not
   * have it.
   */
  async getFeedback(input: FeedbackRef): Promise<FeedbackRecord> {
    const request = { ...target(input), assessmentId: input.assessmentId };
    const response = await unary<GetFeedbackResponse>((cb) =>
      this.feedbackStub.getFeedback(request, new Metadata(), input.callOptions ?? {}, cb),
    );
    return feedbackRecord(response.feedback);
  }

  /**
   * The stored feedback on one trace, or given by one source on any trace, by trace then oldest
   * first: an async iterable over every page, each fetched as the loop reaches it. Current votes
   * only unless `includeHistory`. The scope is checked at once (TypeError); a service error
   * rejects the loop.
   *
   *     for await (const record of client.listFeedback({ sourceId: "alice" })) { ... }
   */
  listFeedback(input: ListFeedbackInput): AsyncIterable<FeedbackRecord> {
    const scopes = [input.traceId, input.clientRequestId, input.sourceId].filter((s) => s !== undefined);
    if (scopes.length !== 1) {
      throw new TypeError("give exactly one of traceId, clientRequestId and sourceId");
    }
    const first: ListFeedbackRequest = {
      traceId: input.traceId,
      clientRequestId: input.clientRequestId,
      sourceId: input.sourceId,
      name: input.name ?? "",
      startTime: input.start,
      endTime: input.end,
      includeHistory: input.includeHistory ?? false,
      pageSize: input.pageSize ?? 0,
      pageToken: "",
    };
    const stub = this.feedbackStub;
    return {
      async *[Symbol.asyncIterator]() {
        let request = first;
        for (;;) {
          const page = await unary<ListFeedbackResponse>((cb) =>
            stub.listFeedback(request, new Metadata(), input.callOptions ?? {}, cb),
          );
          for (const record of page.feedback) {
            yield feedbackRecord(record);
          }
          if (!page.nextPageToken) {
            return;
          }
          request = { ...request, pageToken: page.nextPageToken };
        }
      },
    };
  }

  /**
   * Correct a stored feedback: an expert or a judge (`source.id`, required) gives the right value,
   * of the same name and schema, and why it was wrong (`rationale`, required). The correction
   * overrides the original, which stays in MLflow as history. Rejects with NOT_FOUND
   * (FEEDBACK_NOT_FOUND) if the feedback is not in MLflow. `state` as in submitFeedback.
   */
  async correctFeedback(input: CorrectionInput): Promise<FeedbackResult> {
    const requestId = input.requestId ?? randomUUID();
    const request: CorrectFeedbackRequest = {
      ...target(input),
      assessmentId: input.assessmentId,
      ...(feedbackValue(input.value) as Partial<CorrectFeedbackRequest>),
      source: source(input.source),
      rationale: input.rationale,
      metadata: { ...input.metadata },
      requestId,
      waitUntilStored: input.waitUntilStored ?? false,
    };
    const response = await unary<CorrectFeedbackResponse>((cb) =>
      this.feedbackStub.correctFeedback(request, new Metadata(), input.callOptions ?? {}, cb),
    );
    return { assessmentId: response.assessmentId, traceId: response.traceId, requestId, state: stateName(response.state) };
  }

  /**
   * Delete one feedback with its whole history (the rater's earlier votes, corrections of it), or
   * with `allOnTrace: true` every feedback on the trace. Final: a late retry of a deleted feedback
   * records nothing (state `DELETED`). Idempotent: deleting again deletes nothing.
   */
  async deleteFeedback(input: DeleteInput): Promise<DeleteResult> {
    const byId = input.assessmentId !== undefined;
    if (byId === (input.allOnTrace === true)) {
      throw new TypeError("give exactly one of assessmentId and allOnTrace: true");
    }
    const request: DeleteFeedbackRequest = {
      ...target(input),
      ...(byId ? { assessmentId: input.assessmentId } : { allOnTrace: true }),
    };
    const response = await unary<DeleteFeedbackResponse>((cb) =>
      this.feedbackStub.deleteFeedback(request, new Metadata(), input.callOptions ?? {}, cb),
    );
    return { traceId: response.traceId, deletedAssessmentIds: [...response.deletedAssessmentIds] };
  }

  /** Delete every feedback on the trace, each with its history: `deleteFeedback({ ...target, allOnTrace: true })`. */
  deleteAllFeedback(input: Target & { callOptions?: CallOptions }): Promise<DeleteResult> {
    return this.deleteFeedback({ ...input, allOnTrace: true } as DeleteInput);
  }

  /**
   * Delete every feedback one source id gave (of one source type, or any), on every trace of the
   * service's experiment, for good (as deleteFeedback). Resolves with the totals (`done`) once the
   * erasure is complete; `onProgress` gets each report the service streams on the way.
   *
   * The erasure walks the whole experiment: the service config gives it 600 s
   * (`callOptions.deadline` can shorten it; a channel with a service config of your own, through
   * `channelOptions`, allows longer). An erasure cut short rejects; what it deleted stays
   * deleted, and running it again finishes the job. Feedback still on its way from another replica can escape it: run it again once
   * deliveries have drained to be certain.
   */
  eraseFeedbackBySource(input: EraseInput): Promise<EraseProgress> {
    const sourceType =
      input.sourceType === undefined ? SourceType.SOURCE_TYPE_UNSPECIFIED : SOURCE_TYPES[input.sourceType];
    if (sourceType === undefined) {
      throw new TypeError(`source type must be HUMAN, LLM_JUDGE or CODE, not ${JSON.stringify(input.sourceType)}`);
    }
    const call = this.feedbackStub.eraseFeedbackBySource(
      { sourceId: input.sourceId, sourceType },
      new Metadata(),
      input.callOptions ?? {},
    );
    return new Promise<EraseProgress>((resolve, reject) => {
      let last: EraseProgress = { tracesScanned: 0, feedbackDeleted: 0, tracesChanged: 0, done: false };
      call.on("data", (message: EraseFeedbackBySourceResponse) => {
        last = {
          tracesScanned: Number(message.tracesScanned),
          feedbackDeleted: Number(message.feedbackDeleted),
          tracesChanged: Number(message.tracesChanged),
          done: message.done,
        };
        try {
          input.onProgress?.(last);
        } catch (error) {
          call.cancel(); // a failing callback stops the erasure; what it deleted stays deleted
          reject(error);
        }
      });
      call.on("error", (error: unknown) => reject(GenAIFeedbackError.fromServiceError(error)));
      call.on("end", () => resolve(last));
    });
  }
}

/**
 * One Chat call. Iterate it (once) for its events; `traceId` and `text` fill in as they arrive.
 * A token event carries one generated chunk while the reader keeps up, or the chunks that piled up
 * meanwhile, joined in order, when it (or the connection) falls behind: every chunk's text comes
 * exactly once, in order. Leaving the loop early cancels the call, so the service stops generating.
 */
export class ChatStream implements AsyncIterable<ChatEvent> {
  /** The client_request_id sent with the chat (given or generated). */
  readonly clientRequestId: string;
  /** The chat's MLflow trace id, once the `started` event has arrived. */
  traceId: string | undefined;
  /** All text received so far. */
  text = "";
  /** Generated chunks received so far (one token event may carry several). */
  chunksReceived = 0;
  /** The `finished` event, once it has arrived. */
  finished: Extract<ChatEvent, { type: "finished" }> | undefined;
  private iterated = false;
  // Responses are taken from the call as they arrive (so an error is never left unheard, even
  // before iteration starts), and handed out by the iterator; the call pauses while many wait.
  private readonly received: ChatResponse[] = [];
  private ended = false;
  private failure: unknown = undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly call: ClientReadableStream<ChatResponse>,
    clientRequestId: string,
  ) {
    this.clientRequestId = clientRequestId;
    call.on("data", (response: ChatResponse) => {
      this.received.push(response);
      if (this.received.length >= PAUSE_AT) {
        call.pause();
      }
      this.notify();
    });
    call.on("error", (error: unknown) => {
      this.failure = error;
      this.notify();
    });
    call.on("end", () => {
      this.ended = true;
      this.notify();
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ChatEvent> {
    if (this.iterated) {
      throw new Error("a ChatStream can be iterated only once");
    }
    this.iterated = true;
    try {
      for (;;) {
        const response = this.received.shift();
        if (response !== undefined) {
          if (this.call.isPaused() && this.received.length < PAUSE_AT / 2) {
            this.call.resume();
          }
          const event = this.take(response);
          if (event) {
            yield event;
          }
        } else if (this.ended || (this.failure !== undefined && this.call.readableLength === 0)) {
          break;
        } else {
          if (this.call.isPaused()) {
            this.call.resume();
          }
          await new Promise<void>((resolve) => (this.wake = resolve));
        }
      }
      if (this.failure !== undefined) {
        throw GenAIFeedbackError.fromServiceError(this.failure, this.traceId);
      }
    } finally {
      if (!this.ended && this.failure === undefined && !this.finished) {
        this.call.cancel(); // the caller left the loop before the answer was complete: stop generating
      }
    }
  }

  /** The answer's text, in order, as the token events carry it. */
  async *tokens(): AsyncGenerator<string, void, undefined> {
    for await (const event of this) {
      if (event.type === "token") {
        yield event.text;
      }
    }
  }

  /** Read the rest of the stream and return the whole answer. */
  async result(): Promise<ChatResult> {
    for await (const _ of this) {
      // events update this object's state
    }
    const finished = this.finished;
    if (!finished) {
      throw new Error("the chat stream ended without a finished event");
    }
    return {
      text: this.text,
      traceId: finished.traceId,
      clientRequestId: finished.clientRequestId || this.clientRequestId,
      finishReason: finished.finishReason,
      usage: finished.usage,
      feedbackToken: finished.feedbackToken,
    };
  }

  /** Hang up: the service stops generating and records the trace as cancelled. */
  cancel(): void {
    this.call.cancel();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private take(response: ChatResponse): ChatEvent | undefined {
    if (response.started) {
      this.traceId = response.started.traceId;
      return { type: "started", traceId: response.started.traceId, clientRequestId: response.started.clientRequestId };
    }
    if (response.token) {
      this.text += response.token.text;
      const chunks = Math.max(1, response.token.chunkCount); // 0: one chunk (older services)
      this.chunksReceived += chunks;
      return { type: "token", text: response.token.text, chunks };
    }
    if (response.finished) {
      this.finished = finishedEvent(response.finished);
      this.traceId ??= this.finished.traceId;
      return this.finished;
    }
    return undefined; // an event kind newer than this client
  }
}

function finishedEvent(finished: ChatFinished): Extract<ChatEvent, { type: "finished" }> {
  return {
    type: "finished",
    traceId: finished.traceId,
    clientRequestId: finished.clientRequestId,
    finishReason: finishReasonName(finished.finishReason),
    usage: usage(finished.usage),
    feedbackToken: finished.feedbackToken,
  };
}

function unary<T>(start: (callback: (error: ServiceError | null, response: T) => void) => unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start((error, response) => (error ? reject(GenAIFeedbackError.fromServiceError(error)) : resolve(response)));
  });
}

function chatRequest(message: string, options: ChatOptions): ChatRequest & { clientRequestId: string } {
  const history: ChatMessage[] = (options.history ?? []).map(({ role, content }) => {
    const mapped = ROLES[role];
    if (mapped === undefined) {
      throw new TypeError(`history role must be system, user or assistant, not ${JSON.stringify(role)}`);
    }
    return { role: mapped, content };
  });
  return {
    message,
    history,
    clientRequestId: options.clientRequestId ?? randomUUID(),
    userId: options.userId ?? "",
    sessionId: options.sessionId ?? "",
    tags: { ...options.tags },
    options:
      options.maxTokens === undefined && options.temperature === undefined
        ? undefined
        : { maxTokens: options.maxTokens, temperature: options.temperature },
  };
}

function target(input: { traceId?: string; clientRequestId?: string }): { traceId?: string; clientRequestId?: string } {
  const byTrace = input.traceId !== undefined;
  if (byTrace === (input.clientRequestId !== undefined)) {
    throw new TypeError("give exactly one of traceId and clientRequestId");
  }
  return byTrace ? { traceId: input.traceId } : { clientRequestId: input.clientRequestId };
}

function feedbackValue(value: unknown): Partial<SubmitFeedbackRequest> {
  switch (typeof value) {
    case "boolean":
      return { boolValue: value };
    case "number":
      return { numberValue: value };
    case "string":
      return { stringValue: value };
    case "object": // null, arrays and plain objects: a google.protobuf.Value
      return { jsonValue: value };
    default:
      throw new TypeError(`feedback value must be a boolean, number, string, object, array or null, not ${typeof value}`);
  }
}

function source(given: FeedbackCommon["source"]): FeedbackSource | undefined {
  if (given === undefined) {
    return undefined;
  }
  const type = given.type === undefined ? SourceType.SOURCE_TYPE_UNSPECIFIED : SOURCE_TYPES[given.type];
  if (type === undefined) {
    throw new TypeError(`source type must be HUMAN, LLM_JUDGE or CODE, not ${JSON.stringify(given.type)}`);
  }
  return { type, id: given.id ?? "" };
}

function feedbackRecord(record: FeedbackRecordMessage | undefined): FeedbackRecord {
  const sourceType = (Object.keys(SOURCE_TYPES) as SourceTypeName[]).find(
    (name) => SOURCE_TYPES[name] === record?.source?.type,
  );
  let value: FeedbackRecord["value"];
  if (record?.boolValue !== undefined) value = record.boolValue;
  else if (record?.numberValue !== undefined) value = record.numberValue;
  else if (record?.stringValue !== undefined) value = record.stringValue;
  else if (record?.jsonValue !== undefined) value = record.jsonValue as JsonValue;
  return {
    assessmentId: record?.assessmentId ?? "",
    traceId: record?.traceId ?? "",
    spanId: record?.spanId ?? "",
    name: record?.name ?? "",
    value,
    source: {
      // An unset type means HUMAN, as the contract says.
      type:
        record?.source?.type === undefined || record.source.type === SourceType.SOURCE_TYPE_UNSPECIFIED
          ? "HUMAN"
          : (sourceType ?? "UNKNOWN"),
      id: record?.source?.id ?? "",
    },
    rationale: record?.rationale ?? "",
    metadata: { ...record?.metadata },
    createTime: record?.createTime,
    updateTime: record?.updateTime,
    current: record?.current ?? false,
    overrides: record?.overrides ?? "",
    overriddenBy: record?.overriddenBy ?? "",
  };
}

function stateName(state: FeedbackState): FeedbackStateName {
  return STATES[state] ?? "UNKNOWN";
}

function finishReasonName(reason: FinishReason): FinishReasonName {
  switch (reason) {
    case FinishReason.FINISH_REASON_STOP:
      return "stop";
    case FinishReason.FINISH_REASON_LENGTH:
      return "length";
    case FinishReason.FINISH_REASON_CONTENT_FILTER:
      return "content_filter";
    default:
      return "";
  }
}

function usage(given: TokenUsage | undefined): Usage {
  return {
    inputTokens: given?.inputTokens ?? 0,
    outputTokens: given?.outputTokens ?? 0,
    totalTokens: given?.totalTokens ?? 0,
  };
}
