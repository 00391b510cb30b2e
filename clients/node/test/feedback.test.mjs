// Feedback and ratings against the real service, checked against what MLflow stored.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { ErrorReason, FieldViolationReason, GenAIFeedbackError } from "@genaifeedback/client";
import { experimentId, finishedChat, newClient, storedAssessments, storedTrace, uniqueName } from "./helpers.mjs";

const ASSESSMENT_ID = /^a-[0-9a-f]{32}$/;
const UNKNOWN_TRACE = "tr-00000000000000000000000000000000";

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
    });
    assert.match(result.assessmentId, ASSESSMENT_ID);
    assert.equal(result.traceId, chat.traceId);
    assert.ok(result.requestId, "a request id was generated");

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
    const result = await client.submitFeedback({ clientRequestId, name, value: "off_topic", source: { type: "CODE", id: "classifier" } });
    assert.equal(result.traceId, byRequest.traceId);
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
    await client.submitFeedback({ traceId: chat.traceId, name: score, value: 0.75, source: { type: "LLM_JUDGE", id: "judge-1" } });
    const value = { labels: ["concise", "polite"], confidence: 0.9, flagged: false, note: null };
    await client.submitFeedback({ traceId: chat.traceId, name: json, value });
    const [storedScore] = await storedAssessments(chat.traceId, score);
    assert.equal(storedScore.feedback.value, 0.75);
    assert.deepEqual(storedScore.source, { source_type: "LLM_JUDGE", source_id: "judge-1" });
    const [storedJson] = await storedAssessments(chat.traceId, json);
    assert.deepEqual(storedJson.feedback.value, value);
  });

  it("records one assessment per rated dimension", async () => {
    const dimensions = { [uniqueName("accuracy")]: 4, [uniqueName("helpfulness")]: 5, [uniqueName("relevance")]: 2 };
    const result = await client.submitRatings({ traceId: chat.traceId, ratings: dimensions, rationale: "mostly right" });
    assert.equal(result.traceId, chat.traceId);
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
    const input = { traceId: chat.traceId, name, value: false, rationale: "wrong year", requestId };
    const first = await client.submitFeedback(input);
    const again = await client.submitFeedback(input);
    assert.equal(first.requestId, requestId);
    assert.equal(again.assessmentId, first.assessmentId);
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

  it("decodes NOT_FOUND for an unknown client request id", async () => {
    const unknown = `never-sent-${randomUUID()}`;
    const error = await rejection(client.submitFeedback({ clientRequestId: unknown, value: 1 }));
    assert.equal(error.code, status.NOT_FOUND);
    assert.equal(error.reason, ErrorReason.TRACE_NOT_FOUND);
    assert.equal(error.metadata.client_request_id, unknown);
  });

  it("refuses a target that is not exactly one of traceId and clientRequestId before sending", async () => {
    await assert.rejects(client.submitFeedback({ value: true }), TypeError);
    await assert.rejects(client.submitFeedback({ traceId: chat.traceId, clientRequestId: "x", value: true }), TypeError);
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
