// The shipped service config drives timeouts and retries (channel option "grpc.service_config"),
// and the rich status decoding covers every detail of the error model. A small grpc-js server on
// 127.0.0.1 plays the service here, so it can fail on purpose.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, beforeEach, describe, it } from "node:test";
import { Metadata, Server, ServerCredentials, status } from "@grpc/grpc-js";
import { GenAIFeedbackClient, GenAIFeedbackError, SERVICE_CONFIG, rpc, v1 } from "@genaifeedback/client";

const TRACE_ID = "tr-0123456789abcdef0123456789abcdef";

/** grpc-status-details-bin for a google.rpc.Status with the given details ({type, message, value}). */
function statusDetails(code, message, details) {
  const packed = details.map(({ type, fns, value }) => ({
    typeUrl: `type.googleapis.com/google.rpc.${type}`,
    value: fns.encode(fns.fromPartial(value)).finish(),
  }));
  return Buffer.from(rpc.status.Status.encode({ code, message, details: packed }).finish());
}

function trailers(code, message, details, extra = {}) {
  const metadata = new Metadata();
  metadata.set("grpc-status-details-bin", statusDetails(code, message, details));
  for (const [key, value] of Object.entries(extra)) {
    metadata.set(key, value);
  }
  return metadata;
}

const { ErrorInfo, BadRequest, RetryInfo, ResourceInfo } = rpc.errorDetails;

describe("service config and error decoding", () => {
  let server;
  let address;
  let calls; // what the fake service received: request, deadline
  let behaviour; // method name -> (call, callback) handler for the next calls

  before(async () => {
    server = new Server();
    const record = (name) => (call, callback) => {
      calls.push({ method: name, request: call.request, deadline: call.getDeadline(), at: Date.now() });
      behaviour[name](call, callback);
    };
    server.addService(v1.feedback.FeedbackServiceService, {
      submitFeedback: record("submitFeedback"),
      submitRatings: record("submitRatings"),
      getFeedbackStatus: record("getFeedbackStatus"),
    });
    server.addService(v1.chat.ChatServiceService, { chat: record("chat"), completeChat: record("completeChat") });
    const port = await new Promise((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    address = `127.0.0.1:${port}`;
  });
  after(() => server.forceShutdown());
  beforeEach(() => {
    calls = [];
    behaviour = {};
  });

  it("ships the project's service config", () => {
    const project = JSON.parse(readFileSync(new URL("../../service_config.json", import.meta.url), "utf8"));
    assert.deepEqual(SERVICE_CONFIG, project);
  });

  it("retries UNAVAILABLE feedback with the same request_id, as the service config says", async () => {
    let failures = 2;
    behaviour.submitFeedback = (call, callback) =>
      failures-- > 0
        ? callback({ code: status.UNAVAILABLE, details: "MLflow is down" })
        : callback(null, { assessmentId: "a-1", traceId: call.request.traceId });
    const client = new GenAIFeedbackClient(address);
    try {
      const result = await client.submitFeedback({ traceId: TRACE_ID, value: true });
      assert.equal(result.assessmentId, "a-1");
    } finally {
      client.close();
    }
    assert.equal(calls.length, 3);
    assert.ok(calls.every((c) => c.request.requestId === calls[0].request.requestId && c.request.requestId));
  });

  it("gives up after maxAttempts and surfaces the last error with its RetryInfo", async () => {
    const maxAttempts = SERVICE_CONFIG.methodConfig[0].retryPolicy.maxAttempts;
    behaviour.submitRatings = (call, callback) =>
      callback({
        code: status.UNAVAILABLE,
        details: "MLflow is down",
        metadata: trailers(status.UNAVAILABLE, "MLflow is down", [
          { type: "ErrorInfo", fns: ErrorInfo, value: { reason: "MLFLOW_UNAVAILABLE", domain: "genaifeedback" } },
          { type: "RetryInfo", fns: RetryInfo, value: { retryDelay: { seconds: 2, nanos: 500_000_000 } } },
        ]),
      });
    const client = new GenAIFeedbackClient(address);
    try {
      const error = await rejection(client.submitRatings({ traceId: TRACE_ID, ratings: { accuracy: 3 } }));
      assert.equal(error.code, status.UNAVAILABLE);
      assert.equal(error.reason, "MLFLOW_UNAVAILABLE");
      assert.equal(error.retryDelayMs, 2500);
    } finally {
      client.close();
    }
    assert.equal(calls.length, maxAttempts);
  });

  it("does not retry when the caller replaces the service config", async () => {
    behaviour.submitFeedback = (call, callback) => callback({ code: status.UNAVAILABLE, details: "down" });
    const client = new GenAIFeedbackClient(address, {
      channelOptions: { "grpc.service_config": JSON.stringify({ methodConfig: [] }) },
    });
    try {
      const error = await rejection(client.submitFeedback({ traceId: TRACE_ID, value: 1 }));
      assert.equal(error.code, status.UNAVAILABLE);
    } finally {
      client.close();
    }
    assert.equal(calls.length, 1);
  });

  it("sets each call's deadline from the service config's timeouts", async () => {
    behaviour.submitFeedback = (call, callback) => callback(null, { assessmentId: "a-2", traceId: TRACE_ID });
    behaviour.chat = (call) => {
      call.write({ started: { traceId: TRACE_ID, clientRequestId: call.request.clientRequestId } });
      call.write({ finished: { traceId: TRACE_ID, clientRequestId: call.request.clientRequestId, finishReason: "FINISH_REASON_STOP" } });
      call.end();
    };
    const client = new GenAIFeedbackClient(address);
    try {
      await client.thumbsUp({ traceId: TRACE_ID });
      await client.chat("hi").result();
    } finally {
      client.close();
    }
    const seconds = (call) => (Number(call.deadline) - call.at) / 1000; // a Date, or Infinity if none
    const [feedback, chat] = calls;
    assert.ok(Math.abs(seconds(feedback) - 30) < 2, `feedback deadline ${seconds(feedback)} s, not 30 s`);
    assert.ok(Math.abs(seconds(chat) - 600) < 2, `chat deadline ${seconds(chat)} s, not 600 s`);
  });

  it("sends waitUntilStored only when asked and maps the answered states", async () => {
    const { FeedbackState } = v1.feedback;
    behaviour.submitFeedback = (call, callback) =>
      callback(null, {
        assessmentId: "a-3",
        traceId: TRACE_ID,
        state: call.request.waitUntilStored ? FeedbackState.FEEDBACK_STATE_STORED : FeedbackState.FEEDBACK_STATE_PENDING,
      });
    behaviour.submitRatings = (call, callback) => callback(null, { traceId: TRACE_ID, assessmentIds: { accuracy: "a-4" } });
    const client = new GenAIFeedbackClient(address);
    try {
      assert.equal((await client.thumbsUp({ traceId: TRACE_ID })).state, "PENDING");
      assert.equal((await client.thumbsUp({ traceId: TRACE_ID, waitUntilStored: true })).state, "STORED");
      const ratings = await client.submitRatings({ traceId: TRACE_ID, ratings: { accuracy: 3 }, waitUntilStored: true });
      assert.equal(ratings.state, "UNKNOWN", "a response without a state");
    } finally {
      client.close();
    }
    assert.deepEqual(
      calls.map((c) => c.request.waitUntilStored),
      [false, true, true],
    );
  });

  it("asks GetFeedbackStatus by request id or assessment id, retried on UNAVAILABLE like any feedback call", async () => {
    const { FeedbackState } = v1.feedback;
    let failures = 1;
    behaviour.getFeedbackStatus = (call, callback) =>
      failures-- > 0
        ? callback({ code: status.UNAVAILABLE, details: "starting" })
        : callback(null, {
            state: FeedbackState.FEEDBACK_STATE_EXPIRED,
            traceId: "",
            assessmentIds: { user_feedback: "a-5" },
            reason: "TRACE_NOT_FOUND",
          });
    const client = new GenAIFeedbackClient(address);
    try {
      const expired = await client.getFeedbackStatus({ clientRequestId: "req-1", requestId: "r-1" });
      assert.deepEqual(expired, { state: "EXPIRED", traceId: "", assessmentIds: { user_feedback: "a-5" }, reason: "TRACE_NOT_FOUND" });
      await client.getFeedbackStatus({ traceId: TRACE_ID, assessmentId: "a-5" });
    } finally {
      client.close();
    }
    assert.deepEqual(
      calls.map((c) => c.request),
      [
        { clientRequestId: "req-1", requestId: "r-1" },
        { clientRequestId: "req-1", requestId: "r-1" },
        { traceId: TRACE_ID, assessmentId: "a-5" },
      ].map((r) => ({ traceId: undefined, clientRequestId: undefined, assessmentId: undefined, requestId: undefined, ...r })),
    );
  });

  it("decodes INVALID_FIELD with every field violation and its reason", async () => {
    behaviour.submitFeedback = (call, callback) =>
      callback({
        code: status.INVALID_ARGUMENT,
        details: "invalid request",
        metadata: trailers(status.INVALID_ARGUMENT, "invalid request", [
          { type: "ErrorInfo", fns: ErrorInfo, value: { reason: "INVALID_FIELD", domain: "genaifeedback", metadata: {} } },
          {
            type: "BadRequest",
            fns: BadRequest,
            value: {
              fieldViolations: [
                { field: "name", description: "no dots", reason: "INVALID_FORMAT" },
                { field: 'metadata["mlflow.x"]', description: "reserved", reason: "RESERVED_KEY" },
              ],
            },
          },
        ]),
      });
    const client = new GenAIFeedbackClient(address);
    try {
      const error = await rejection(client.submitFeedback({ traceId: TRACE_ID, value: 1, name: "a.b" }));
      assert.equal(error.reason, "INVALID_FIELD");
      assert.deepEqual(error.fieldViolations, [
        { field: "name", description: "no dots", reason: "INVALID_FORMAT" },
        { field: 'metadata["mlflow.x"]', description: "reserved", reason: "RESERVED_KEY" },
      ]);
      assert.equal(error.retryDelayMs, undefined);
    } finally {
      client.close();
    }
  });

  it("decodes TRACE_NOT_FOUND with its ResourceInfo", async () => {
    behaviour.submitFeedback = (call, callback) =>
      callback({
        code: status.NOT_FOUND,
        details: "no such trace",
        metadata: trailers(status.NOT_FOUND, "no such trace", [
          { type: "ErrorInfo", fns: ErrorInfo, value: { reason: "TRACE_NOT_FOUND", domain: "genaifeedback", metadata: { trace_id: TRACE_ID } } },
          { type: "ResourceInfo", fns: ResourceInfo, value: { resourceType: "mlflow.trace", resourceName: TRACE_ID } },
        ]),
      });
    const client = new GenAIFeedbackClient(address);
    try {
      const error = await rejection(client.thumbsUp({ traceId: TRACE_ID }));
      assert.equal(error.reason, "TRACE_NOT_FOUND");
      assert.deepEqual(error.metadata, { trace_id: TRACE_ID });
      assert.deepEqual(error.resource, { resourceType: "mlflow.trace", resourceName: TRACE_ID, owner: "", description: "" });
    } finally {
      client.close();
    }
  });

  it("delivers a failed chat's tokens, then its error naming the trace", async () => {
    behaviour.chat = (call) => {
      call.write({ started: { traceId: TRACE_ID, clientRequestId: "" } });
      call.write({ token: { text: "Half", chunkCount: 0 } }); // every field: the stub encodes plain objects
      call.emit("error", {
        code: status.INTERNAL,
        details: "the model broke",
        metadata: trailers(
          status.INTERNAL,
          "the model broke",
          [{ type: "ErrorInfo", fns: ErrorInfo, value: { reason: "GENERATION_FAILED", domain: "genaifeedback", metadata: { trace_id: TRACE_ID } } }],
          { "mlflow-trace-id": TRACE_ID },
        ),
      });
    };
    const client = new GenAIFeedbackClient(address);
    try {
      const stream = client.chat("break please");
      const events = [];
      const error = await rejection(
        (async () => {
          for await (const event of stream) {
            events.push(event.type);
          }
        })(),
      );
      assert.deepEqual(events, ["started", "token"]);
      assert.equal(stream.text, "Half");
      assert.equal(error.code, status.INTERNAL);
      assert.equal(error.reason, "GENERATION_FAILED");
      assert.equal(error.traceId, TRACE_ID);
      assert.equal(error.trailers.get("mlflow-trace-id")[0], TRACE_ID);
    } finally {
      client.close();
    }
  });

  it("hands an error that arrives before iteration starts to the iterator", async () => {
    behaviour.chat = (call) => call.emit("error", { code: status.UNAVAILABLE, details: "backlog full" });
    const client = new GenAIFeedbackClient(address);
    try {
      const stream = client.chat("nobody reads me yet");
      await client.thumbsUp({ traceId: TRACE_ID }).catch(() => {}); // a round trip: the chat has failed by now
      const error = await rejection(stream.result());
      assert.equal(error.code, status.UNAVAILABLE);
      assert.equal(error.reason, undefined);
      assert.deepEqual(error.fieldViolations, []);
    } finally {
      client.close();
    }
  });
});

async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof GenAIFeedbackError, `expected a GenAIFeedbackError, got ${error}`);
    return error;
  }
  assert.fail("the call succeeded");
}
