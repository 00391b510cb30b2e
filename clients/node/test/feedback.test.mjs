// Feedback and ratings against the real service, checked against what MLflow stored.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { ErrorReason, FieldViolationReason, GenAIFeedbackError } from "@genaifeedback/client";
import { experimentId, finishedChat, newClient, storedAssessments, storedTrace, uniqueName } from "./helpers.mjs";

const ASSESSMENT_ID = /^a-[0-9a-f]{32}$/;
// An old-looking (and foreign-looking) trace id: refused at once.
const UNKNOWN_TRACE = "tr-00000000000000000000000000000000";

/** A trace id shaped like the service's own, minted now (start time in its first 48 bits), but never used. */
function recentUnknownTraceId() {
  return `tr-${Date.now().toString(16).padStart(12, "0")}${randomUUID().replaceAll("-", "").slice(0, 20)}`;
}

/**
 * Ask getFeedbackStatus until the feedback leaves PENDING; bounded by a deadline, with a short
 * growing pause between questions so as not to hammer the service.
 */
async function statusOnceSettled(client, input, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let pauseMs = 10;
  for (;;) {
    const current = await client.getFeedbackStatus(input);
    if (current.state !== "PENDING") {
      return current;
    }
    assert.ok(Date.now() < deadline, `still PENDING after ${timeoutMs} ms: ${JSON.stringify(current)}`);
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    pauseMs = Math.min(pauseMs * 2, 250);
  }
}

describe("feedback", () => {
  let client;
  let chat; // one finished chat that the tests give feedback on
  before(async () => {
    client = newClient();
    chat = await finishedChat(client);
  });
  after(() => client.close());

  it("records feedback by trace id with its value, rationale, source and metadata", async () => {
    const name = uniqueName("thumbs");
    const result = await client.submitFeedback({
      traceId: chat.traceId,
      name,
      value: true,
      rationale: "clear and correct",
      source: { type: "HUMAN", id: "user-42" },
      metadata: { ui: "web", locale: "de-CH" },
      waitUntilStored: true,
    });
    assert.match(result.assessmentId, ASSESSMENT_ID);
    assert.equal(result.traceId, chat.traceId);
    assert.ok(result.requestId, "a request id was generated");
    assert.equal(result.state, "STORED");

    const [stored, ...others] = await storedAssessments(chat.traceId, name);
    assert.deepEqual(others, []);
    assert.equal(stored.assessment_id, result.assessmentId);
    assert.equal(stored.feedback.value, true);
    assert.equal(stored.rationale, "clear and correct");
    assert.deepEqual(stored.source, { source_type: "HUMAN", source_id: "user-42" });
    assert.equal(stored.metadata.ui, "web");
    assert.equal(stored.metadata.locale, "de-CH");
    const trace = await storedTrace(chat.traceId);
    assert.equal(trace.trace_location.mlflow_experiment.experiment_id, experimentId());
    assert.equal(trace.state, "OK");
  });

  it("records feedback by the chat's client request id", async () => {
    const clientRequestId = `node-${randomUUID()}`;
    const byRequest = await client.chat("Feedback by my own id", { clientRequestId }).result();
    const name = uniqueName("by_request");
    const result = await client.submitFeedback({
      clientRequestId,
      name,
      value: "off_topic",
      source: { type: "CODE", id: "classifier" },
      waitUntilStored: true,
    });
    assert.equal(result.traceId, byRequest.traceId);
    assert.equal(result.state, "STORED");
    const [stored, ...others] = await storedAssessments(byRequest.traceId, name);
    assert.deepEqual(others, []);
    assert.equal(stored.assessment_id, result.assessmentId);
    assert.equal(stored.feedback.value, "off_topic");
    assert.deepEqual(stored.source, { source_type: "CODE", source_id: "classifier" });
    assert.equal((await storedTrace(byRequest.traceId)).tags.client_request_id, clientRequestId);
  });

  it("records numbers and JSON values as they were sent", async () => {
    const score = uniqueName("score");
    const json = uniqueName("structured");
    const scored = await client.submitFeedback({
      traceId: chat.traceId,
      name: score,
      value: 0.75,
      source: { type: "LLM_JUDGE", id: "judge-1" },
      waitUntilStored: true,
    });
    assert.equal(scored.state, "STORED");
    const value = { labels: ["concise", "polite"], confidence: 0.9, flagged: false, note: null };
    assert.equal((await client.submitFeedback({ traceId: chat.traceId, name: json, value, waitUntilStored: true })).state, "STORED");
    const [storedScore] = await storedAssessments(chat.traceId, score);
    assert.equal(storedScore.feedback.value, 0.75);
    assert.deepEqual(storedScore.source, { source_type: "LLM_JUDGE", source_id: "judge-1" });
    const [storedJson] = await storedAssessments(chat.traceId, json);
    assert.deepEqual(storedJson.feedback.value, value);
  });

  it("records one assessment per rated dimension", async () => {
    const dimensions = { [uniqueName("accuracy")]: 4, [uniqueName("helpfulness")]: 5, [uniqueName("relevance")]: 2 };
    const result = await client.submitRatings({
      traceId: chat.traceId,
      ratings: dimensions,
      rationale: "mostly right",
      waitUntilStored: true,
    });
    assert.equal(result.traceId, chat.traceId);
    assert.equal(result.state, "STORED");
    assert.deepEqual(Object.keys(result.assessmentIds).sort(), Object.keys(dimensions).sort());
    for (const [name, score] of Object.entries(dimensions)) {
      const stored = await storedAssessments(chat.traceId, name);
      assert.equal(stored.length, 1, `one assessment for ${name}`);
      assert.equal(stored[0].assessment_id, result.assessmentIds[name]);
      assert.equal(stored[0].feedback.value, score);
      assert.equal(stored[0].rationale, "mostly right");
    }
  });

  it("records a retried request once: the same request_id returns the same assessment", async () => {
    const name = uniqueName("retried");
    const requestId = randomUUID();
    const input = { traceId: chat.traceId, name, value: false, rationale: "wrong year", requestId, waitUntilStored: true };
    const first = await client.submitFeedback(input);
    const again = await client.submitFeedback(input);
    assert.equal(first.requestId, requestId);
    assert.equal(first.state, "STORED");
    assert.equal(again.assessmentId, first.assessmentId);
    assert.equal(again.state, "STORED", "a retry gets the first call's state");
    const stored = await storedAssessments(chat.traceId, name);
    assert.equal(stored.length, 1);
    assert.equal(stored[0].assessment_id, first.assessmentId);

    // The same request_id for a different action is refused, and records nothing.
    const reused = await rejection(client.submitFeedback({ ...input, value: true }));
    assert.equal(reused.code, status.ALREADY_EXISTS);
    assert.equal(reused.reason, ErrorReason.REQUEST_ID_REUSED);
    assert.equal(reused.metadata.trace_id, chat.traceId);
    assert.equal((await storedAssessments(chat.traceId, name)).length, 1);
  });

  it("decodes INVALID_ARGUMENT as INVALID_FIELD with every field violation", async () => {
    const error = await rejection(
      client.submitRatings({
        traceId: chat.traceId,
        ratings: [
          { name: "accuracy", score: 9 },
          { name: "not.allowed", score: 3 },
        ],
        rationale: "x".repeat(16 * 1024 + 1),
      }),
    );
    assert.equal(error.code, status.INVALID_ARGUMENT);
    assert.equal(error.codeName, "INVALID_ARGUMENT");
    assert.equal(error.reason, ErrorReason.INVALID_FIELD);
    assert.equal(error.domain, "genaifeedback");
    const violations = Object.fromEntries(error.fieldViolations.map((v) => [v.field, v]));
    assert.deepEqual(Object.keys(violations).sort(), ["ratings[0].score", "ratings[1].name", "rationale"]);
    assert.equal(violations["ratings[0].score"].reason, FieldViolationReason.OUT_OF_RANGE);
    assert.equal(violations["ratings[1].name"].reason, FieldViolationReason.INVALID_FORMAT);
    assert.equal(violations.rationale.reason, FieldViolationReason.TOO_LONG);
    assert.ok(error.fieldViolations.every((v) => v.description.length > 0));
  });

  it("decodes NOT_FOUND as TRACE_NOT_FOUND naming the unknown trace", async () => {
    const error = await rejection(client.thumbsUp({ traceId: UNKNOWN_TRACE }));
    assert.equal(error.code, status.NOT_FOUND);
    assert.equal(error.reason, ErrorReason.TRACE_NOT_FOUND);
    assert.equal(error.domain, "genaifeedback");
    assert.equal(error.metadata.trace_id, UNKNOWN_TRACE);
    assert.ok(error.resource, "a google.rpc.ResourceInfo detail");
    assert.match(error.resource.resourceName, new RegExp(UNKNOWN_TRACE));
    assert.match(error.message, /^NOT_FOUND \(TRACE_NOT_FOUND\): /);
  });

  it("takes feedback for an unknown client request id as PENDING: its chat may still be on its way", async () => {
    const unknown = `never-sent-${randomUUID()}`;
    const result = await client.submitFeedback({ clientRequestId: unknown, value: true });
    assert.equal(result.state, "PENDING");
    assert.equal(result.traceId, "", "no trace is known for it yet");
    assert.match(result.assessmentId, ASSESSMENT_ID);
    const byRequest = await client.getFeedbackStatus({ clientRequestId: unknown, requestId: result.requestId });
    assert.equal(byRequest.state, "PENDING");
    assert.equal(byRequest.traceId, "");
    assert.equal(byRequest.reason, "");
    assert.deepEqual(Object.values(byRequest.assessmentIds), [result.assessmentId]);

    // Waiting for MLflow answers PENDING shortly before the call's deadline (it would become
    // EXPIRED only after the attach window, minutes later).
    const waited = await client.submitFeedback({
      clientRequestId: unknown,
      value: false,
      waitUntilStored: true,
      callOptions: { deadline: Date.now() + 2_000 },
    });
    assert.equal(waited.state, "PENDING");
  });

  it("takes feedback for an unknown trace id that looks recent as PENDING", async () => {
    const traceId = recentUnknownTraceId();
    const result = await client.thumbsUp({ traceId });
    assert.equal(result.state, "PENDING");
    assert.equal(result.traceId, traceId);
    const byAssessment = await client.getFeedbackStatus({ traceId, assessmentId: result.assessmentId });
    assert.equal(byAssessment.state, "PENDING");
    assert.equal(byAssessment.traceId, traceId);
  });

  it("answers PENDING or STORED without waiting; getFeedbackStatus follows it to STORED", async () => {
    const name = uniqueName("not_waited");
    const result = await client.submitFeedback({ traceId: chat.traceId, name, value: "later", rationale: "no wait" });
    assert.ok(["PENDING", "STORED"].includes(result.state), `state ${result.state}`);
    const byRequest = await statusOnceSettled(client, { traceId: chat.traceId, requestId: result.requestId });
    assert.equal(byRequest.state, "STORED");
    assert.equal(byRequest.traceId, chat.traceId);
    assert.equal(byRequest.reason, "");
    assert.deepEqual(byRequest.assessmentIds, { [name]: result.assessmentId });
    const byAssessment = await client.getFeedbackStatus({ traceId: chat.traceId, assessmentId: result.assessmentId });
    assert.deepEqual(byAssessment, byRequest);

    const [stored, ...others] = await storedAssessments(chat.traceId, name);
    assert.deepEqual(others, []);
    assert.equal(stored.assessment_id, result.assessmentId);
    assert.equal(stored.feedback.value, "later");
    assert.equal(stored.rationale, "no wait");
  });

  it("follows ratings by the chat's client request id to STORED", async () => {
    const clientRequestId = `node-${randomUUID()}`;
    const rated = await client.chat("Rate me later", { clientRequestId }).result();
    const dimensions = { [uniqueName("clarity")]: 3, [uniqueName("depth")]: 4 };
    const result = await client.submitRatings({ clientRequestId, ratings: dimensions });
    assert.ok(["PENDING", "STORED"].includes(result.state), `state ${result.state}`);
    const settled = await statusOnceSettled(client, { clientRequestId, requestId: result.requestId });
    assert.equal(settled.state, "STORED");
    assert.equal(settled.traceId, rated.traceId);
    assert.deepEqual(settled.assessmentIds, result.assessmentIds);
    for (const [name, score] of Object.entries(dimensions)) {
      const [stored, ...others] = await storedAssessments(rated.traceId, name);
      assert.deepEqual(others, []);
      assert.equal(stored.assessment_id, result.assessmentIds[name]);
      assert.equal(stored.feedback.value, score);
    }
  });

  it("decodes NOT_FOUND from getFeedbackStatus for a feedback nobody knows", async () => {
    const error = await rejection(client.getFeedbackStatus({ traceId: chat.traceId, requestId: randomUUID() }));
    assert.equal(error.code, status.NOT_FOUND);
    assert.equal(error.reason, ErrorReason.FEEDBACK_NOT_FOUND);
  });

  it("refuses a target that is not exactly one of traceId and clientRequestId before sending", async () => {
    await assert.rejects(client.submitFeedback({ value: true }), TypeError);
    await assert.rejects(client.submitFeedback({ traceId: chat.traceId, clientRequestId: "x", value: true }), TypeError);
    await assert.rejects(client.getFeedbackStatus({ traceId: chat.traceId }), TypeError);
    await assert.rejects(client.getFeedbackStatus({ traceId: chat.traceId, requestId: "r", assessmentId: "a" }), TypeError);
  });
});

/** The GenAIFeedbackError a call rejects with. */
async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof GenAIFeedbackError, `expected a GenAIFeedbackError, got ${error}`);
    return error;
  }
  assert.fail("the call succeeded");
}
