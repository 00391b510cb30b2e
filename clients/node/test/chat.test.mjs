// Chat against the real service: event order, trace ids, text, cancellation.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ChatStream } from "@genaifeedback/client";
import { newClient, storedTrace } from "./helpers.mjs";

const TRACE_ID = /^tr-[0-9a-f]{32}$/;

describe("chat", () => {
  let client;
  before(() => {
    client = newClient();
  });
  after(() => client.close());

  it("streams started first, tokens in order, then finished with the same trace id", async () => {
    const stream = client.chat("Hello there", { clientRequestId: `node-chat-${process.pid}` });
    assert.ok(stream instanceof ChatStream);
    const events = [];
    for await (const event of stream) {
      if (events.length === 0) {
        // The trace id is known from the first event on, before any token.
        assert.equal(event.type, "started");
        assert.equal(stream.traceId, event.traceId);
      }
      events.push(event);
    }
    const [started, ...rest] = events;
    const finished = rest.pop();
    assert.match(started.traceId, TRACE_ID);
    assert.equal(started.clientRequestId, `node-chat-${process.pid}`);
    assert.ok(rest.length > 0, "no token events");
    assert.ok(rest.every((e) => e.type === "token"), "only tokens between started and finished");
    assert.equal(finished.type, "finished");
    assert.equal(finished.traceId, started.traceId);
    assert.equal(finished.clientRequestId, started.clientRequestId);
    assert.equal(finished.finishReason, "stop");
    assert.equal(finished.usage.outputTokens, rest.reduce((sum, e) => sum + e.chunks, 0)); // chunks, not events
    assert.equal(stream.chunksReceived, finished.usage.outputTokens);
    assert.equal(finished.usage.totalTokens, finished.usage.inputTokens + finished.usage.outputTokens);

    const text = rest.map((e) => e.text).join("");
    assert.ok(text.trim().length > 0, "empty answer");
    assert.equal(stream.text, text);
    // The demo model is deterministic: the same prompt answered whole has the same text, so the
    // streamed tokens arrived complete and in order.
    const complete = await client.completeChat("Hello there");
    assert.equal(complete.text, text);
    assert.match(complete.traceId, TRACE_ID);
    assert.notEqual(complete.traceId, started.traceId);
  });

  it("gives the text alone through tokens() and the whole answer through result()", async () => {
    const stream = client.chat("Count the tokens", { maxTokens: 5 });
    const tokens = [];
    for await (const token of stream.tokens()) {
      tokens.push(token);
    }
    assert.ok(tokens.length >= 1 && tokens.length <= 5);
    assert.equal(stream.chunksReceived, 5);
    assert.equal(stream.finished.finishReason, "length");
    const whole = await client.chat("Count the tokens", { maxTokens: 5 }).result();
    assert.equal(whole.text, tokens.join(""));
    assert.match(whole.traceId, TRACE_ID);
    assert.equal(whole.finishReason, "length");
  });

  it("gives a slow reader every chunk once, in order, however they were coalesced", async () => {
    const stream = client.chat("Read me slowly, please");
    const pieces = [];
    for await (const piece of stream.tokens()) {
      pieces.push(piece);
      await new Promise((resolve) => setTimeout(resolve, 20)); // ok: the slow reader is the scenario
    }
    const complete = await client.completeChat("Read me slowly, please");
    assert.equal(pieces.join(""), complete.text);
    assert.equal(stream.chunksReceived, stream.finished.usage.outputTokens);
    assert.ok(pieces.length <= stream.chunksReceived);
  });

  it("cancels the call when the caller leaves the loop; feedback can still be given on its trace", async () => {
    const stream = client.chat("Stop me early");
    let tokens = 0;
    for await (const event of stream) {
      if (event.type === "token" && (tokens += event.chunks) >= 3) {
        break; // cancels the call, without an error
      }
    }
    assert.match(stream.traceId, TRACE_ID);
    assert.equal(stream.finished, undefined);
    const feedback = await client.thumbsDown({ traceId: stream.traceId, rationale: "stopped reading", waitUntilStored: true });
    assert.equal(feedback.traceId, stream.traceId);
    assert.equal(feedback.state, "STORED");
    // (Whether MLflow records it as cancelled or finished depends on whether the 1 ms-per-token
    // demo model finished before the cancellation reached it, so that is not asserted here.)
    const trace = await storedTrace(stream.traceId);
    assert.equal(trace.trace_id, stream.traceId);
  });
});
