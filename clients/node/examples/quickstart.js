// @ts-check
// Chat, then a thumbs up, a rating, two errors, and a changed vote listed and deleted, in plain JavaScript:
//   GENAIFEEDBACK_ADDRESS=127.0.0.1:50051 node examples/quickstart.js   (or `make example`)
const { GenAIFeedbackClient, GenAIFeedbackError, ErrorReason } = require("@genaifeedback/client");

async function main() {
  const client = new GenAIFeedbackClient(process.env.GENAIFEEDBACK_ADDRESS ?? "127.0.0.1:50051");
  try {
    // 1. Stream a chat: the trace id comes with the first event, then the tokens as they arrive.
    const chat = client.chat("What is MLflow tracing?", { userId: "user-42", sessionId: "session-1" });
    for await (const event of chat) {
      if (event.type === "started") console.log(`trace ${event.traceId}`);
      else if (event.type === "token") process.stdout.write(event.text);
      else console.log(`\n[${event.finishReason}, ${event.usage.totalTokens} tokens]`);
    }
    const traceId = /** @type {string} */ (chat.traceId);

    // 2. A thumbs up with a comment, by trace id. The service answers once it has journaled it
    //    (PENDING, usually) and attaches it to the trace in MLflow shortly after; ask later.
    const thumbs = await client.thumbsUp({ traceId, rationale: "clear answer", source: { id: "user-42" } });
    console.log(`thumbs up recorded as ${thumbs.assessmentId}: ${thumbs.state}`);
    const status = await client.getFeedbackStatus({ traceId, requestId: thumbs.requestId });
    console.log(`  and now it is ${status.state}`);

    // 3. Ratings of several dimensions, by the chat's client request id: one assessment each.
    //    waitUntilStored: answer once they are in MLflow (STORED), or PENDING near the deadline.
    const ratings = await client.submitRatings({
      clientRequestId: chat.clientRequestId,
      ratings: { accuracy: 4, helpfulness: 5 },
      waitUntilStored: true,
    });
    console.log(`ratings ${ratings.state} as`, ratings.assessmentIds);

    // 4. Errors: match on the reason, and read every field violation at once.
    try {
      await client.submitRatings({ traceId, ratings: { accuracy: 9, "not.a.name": 3 } });
    } catch (error) {
      if (!(error instanceof GenAIFeedbackError)) throw error;
      console.log(`${error.codeName} ${error.reason}:`);
      for (const v of error.fieldViolations) console.log(`  ${v.field} ${v.reason}: ${v.description}`);
    }
    try {
      await client.thumbsDown({ traceId: "tr-00000000000000000000000000000000" });
    } catch (error) {
      if (!(error instanceof GenAIFeedbackError)) throw error;
      const known = error.reason === ErrorReason.TRACE_NOT_FOUND ? "no such trace" : "unexpected";
      console.log(`${error.codeName} ${error.reason} (${known}): ${JSON.stringify(error.metadata)}`);
    }

    // 5. Votes: the user changes their mind; the new vote replaces the first, kept as history.
    const down = await client.thumbsDown({
      traceId,
      source: { id: "user-42" },
      clientTime: new Date(),
      waitUntilStored: true,
    });
    for await (const r of client.listFeedback({ traceId, name: "user_feedback", includeHistory: true })) {
      console.log(`  ${r.assessmentId} ${r.value} by ${r.source.id || "-"} current=${r.current}`);
    }
    const deleted = await client.deleteFeedback({ traceId, assessmentId: down.assessmentId });
    console.log("deleted the vote and its history:", deleted.deletedAssessmentIds);
  } finally {
    client.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
