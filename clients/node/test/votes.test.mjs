// Votes against the real service: clientTime, getFeedback, listFeedback, correctFeedback,
// deleteFeedback and eraseFeedbackBySource, checked against what MLflow stored.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { ErrorReason, GenAIFeedbackError } from "@genaifeedback/client";
import { finishedChat, newClient, storedTrace } from "./helpers.mjs";

const rater = () => `rater-${randomUUID()}`;

/** What MLflow stored on the trace, by assessment id. */
async function stored(traceId) {
  const info = await storedTrace(traceId);
  return new Map((info.assessments ?? []).map((a) => [a.assessment_id, a]));
}

/** Whether MLflow holds the assessment as valid (the current vote); unset means valid. */
const valid = (assessment) => assessment.valid !== false;

async function collect(iterable) {
  const records = [];
  for await (const record of iterable) {
    records.push(record);
  }
  return records;
}

describe("votes", () => {
  let client;
  before(() => {
    client = newClient();
  });
  after(() => client.close());

  const vote = (input) => client.submitFeedback({ waitUntilStored: true, ...input });

  it("keeps the vote with the latest clientTime current, and reads it back with its history", async () => {
    const chat = await finishedChat(client);
    const source = { id: rater() };
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const minuteBefore = new Date(now.getTime() - 60_000);
    const later = await vote({ traceId: chat.traceId, value: true, source, rationale: "good", clientTime: now });
    // Sent second, given a minute earlier: it takes its place in the history.
    const earlier = await vote({ clientRequestId: chat.clientRequestId, value: false, source, clientTime: minuteBefore });

    const assessments = await stored(chat.traceId);
    assert.equal(valid(assessments.get(earlier.assessmentId)), false);
    assert.equal(valid(assessments.get(later.assessmentId)), true);
    assert.equal(assessments.get(later.assessmentId).overrides, earlier.assessmentId);
    assert.equal(new Date(assessments.get(earlier.assessmentId).create_time).getTime(), minuteBefore.getTime());

    const replaced = await client.getFeedback({ traceId: chat.traceId, assessmentId: earlier.assessmentId });
    assert.deepEqual(
      { value: replaced.value, current: replaced.current, overriddenBy: replaced.overriddenBy, source: replaced.source },
      { value: false, current: false, overriddenBy: later.assessmentId, source: { type: "HUMAN", id: source.id } },
    );
    assert.equal(replaced.createTime.getTime(), minuteBefore.getTime());
    const current = await client.getFeedback({ clientRequestId: chat.clientRequestId, assessmentId: later.assessmentId });
    assert.equal(current.current, true);
    assert.equal(current.overrides, earlier.assessmentId);
    assert.equal(current.rationale, "good");

    const ids = async (input) => (await collect(client.listFeedback(input))).map((r) => r.assessmentId);
    assert.deepEqual(await ids({ traceId: chat.traceId }), [later.assessmentId]);
    assert.deepEqual(await ids({ traceId: chat.traceId, includeHistory: true, name: "user_feedback" }), [
      earlier.assessmentId,
      later.assessmentId,
    ]);

    await assert.rejects(
      client.getFeedback({ traceId: chat.traceId, assessmentId: `a-${"0".repeat(32)}` }),
      (error) =>
        error instanceof GenAIFeedbackError &&
        error.code === status.NOT_FOUND &&
        error.reason === ErrorReason.FEEDBACK_NOT_FOUND,
    );
  });

  it("lists one source's feedback over every page", async () => {
    const source = { id: rater() };
    const sent = [];
    for (let i = 0; i < 3; i += 1) {
      const chat = await finishedChat(client);
      sent.push((await vote({ traceId: chat.traceId, name: "user_rating", value: 4, source })).assessmentId);
      await vote({ traceId: chat.traceId, value: true, source: { id: "someone-else" } });
    }
    const listed = await collect(client.listFeedback({ sourceId: source.id, pageSize: 2 }));
    assert.deepEqual(listed.map((r) => r.assessmentId).sort(), [...sent].sort());
    assert.ok(listed.every((r) => r.value === 4 && r.name === "user_rating" && r.current));
    assert.deepEqual(await collect(client.listFeedback({ sourceId: source.id, start: new Date(Date.now() + 60_000) })), []);

    assert.throws(() => client.listFeedback({ sourceId: source.id, traceId: `tr-${"0".repeat(32)}` }), TypeError);
    await assert.rejects(
      collect(client.listFeedback({ sourceId: source.id, pageSize: 5000 })),
      (error) => error instanceof GenAIFeedbackError && error.code === status.INVALID_ARGUMENT,
    );
  });

  it("corrects a feedback, then deletes it with its history, then all on the trace", async () => {
    const chat = await finishedChat(client);
    const source = { id: rater() };
    const original = await vote({ traceId: chat.traceId, name: "user_rating", value: 5, source });
    const corrected = await client.correctFeedback({
      clientRequestId: chat.clientRequestId,
      assessmentId: original.assessmentId,
      value: 2,
      source: { id: "expert-7" },
      rationale: "the answer cites a deprecated API",
      waitUntilStored: true,
    });
    assert.equal(corrected.state, "STORED");
    let assessments = await stored(chat.traceId);
    const fixed = assessments.get(corrected.assessmentId);
    assert.equal(valid(fixed), true);
    assert.equal(valid(assessments.get(original.assessmentId)), false);
    assert.equal(fixed.overrides, original.assessmentId);
    assert.equal(fixed.feedback.value, 2);
    assert.equal(fixed.source.source_id, "expert-7");
    await assert.rejects(
      client.correctFeedback({
        traceId: chat.traceId,
        assessmentId: corrected.assessmentId,
        value: 3,
        source: { id: "expert-7" },
        rationale: "",
      }),
      (error) => error.code === status.INVALID_ARGUMENT && error.fieldViolations.some((v) => v.field === "rationale"),
    );

    const kept = await vote({ traceId: chat.traceId, value: true });
    const deleted = await client.deleteFeedback({ traceId: chat.traceId, assessmentId: corrected.assessmentId });
    assert.equal(deleted.traceId, chat.traceId);
    assert.deepEqual([...deleted.deletedAssessmentIds].sort(), [original.assessmentId, corrected.assessmentId].sort());
    assessments = await stored(chat.traceId);
    assert.deepEqual([...assessments.keys()], [kept.assessmentId]);
    const retried = await vote({
      traceId: chat.traceId,
      name: "user_rating",
      value: 5,
      source,
      requestId: original.requestId,
    });
    assert.equal(retried.state, "DELETED"); // a late retry of the deleted vote records nothing

    const all = await client.deleteFeedback({ clientRequestId: chat.clientRequestId, allOnTrace: true });
    assert.deepEqual(all.deletedAssessmentIds, [kept.assessmentId]);
    assert.equal((await stored(chat.traceId)).size, 0);
    await assert.rejects(client.deleteFeedback({ traceId: chat.traceId }), TypeError);
    const again = await vote({ traceId: chat.traceId, value: true });
    const allByName = await client.deleteAllFeedback({ traceId: chat.traceId }); // as Go's DeleteAllFeedback, Java's deleteAllFeedback
    assert.deepEqual(allByName.deletedAssessmentIds, [again.assessmentId]);
  });

  it("erases a source's feedback, reporting progress, and resolves with the totals", async () => {
    const source = { id: rater() };
    const kept = new Map();
    for (let i = 0; i < 2; i += 1) {
      const chat = await finishedChat(client);
      await vote({ traceId: chat.traceId, value: true, source });
      await vote({ traceId: chat.traceId, value: false, source });
      kept.set(chat.traceId, (await vote({ traceId: chat.traceId, value: true, source: { id: "stays" } })).assessmentId);
    }
    const reports = [];
    const totals = await client.eraseFeedbackBySource({
      sourceId: source.id,
      sourceType: "HUMAN",
      onProgress: (progress) => reports.push(progress),
      callOptions: { deadline: Date.now() + 120_000 },
    });
    assert.equal(totals.done, true);
    assert.equal(totals.feedbackDeleted, 4);
    assert.equal(totals.tracesChanged, 2);
    assert.deepEqual(reports.at(-1), totals);
    for (const [traceId, assessmentId] of kept) {
      assert.deepEqual([...(await stored(traceId)).keys()], [assessmentId]);
    }
    assert.equal((await client.eraseFeedbackBySource({ sourceId: source.id })).feedbackDeleted, 0);
  });
});
