// What the tests share: the service's address and MLflow's REST API, from scripts/with_service.py.
import assert from "node:assert/strict";
import { GenAIFeedbackClient } from "@genaifeedback/client";

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run the tests through the harness, from the repository root: ` +
        ".venv/bin/python scripts/with_service.py -- node --test clients/node/test/ (or make -C clients/node test)",
    );
  }
  return value;
}

export const address = () => required("GENAIFEEDBACK_ADDRESS");
export const mlflowUrl = () => required("GENAIFEEDBACK_MLFLOW_URL");
export const experimentId = () => required("GENAIFEEDBACK_EXPERIMENT_ID");

export function newClient() {
  return new GenAIFeedbackClient(address());
}

/** GET /api/3.0/mlflow/traces/{trace_id}: the stored trace_info (tags, state, assessments, ...). */
export async function storedTrace(traceId) {
  const response = await fetch(`${mlflowUrl()}/api/3.0/mlflow/traces/${encodeURIComponent(traceId)}`);
  const body = await response.text();
  assert.equal(response.status, 200, `MLflow has no trace ${traceId}: ${body}`);
  return JSON.parse(body).trace.trace_info;
}

/** The trace's stored assessments with the given name. */
export async function storedAssessments(traceId, name) {
  const info = await storedTrace(traceId);
  return (info.assessments ?? []).filter((a) => a.assessment_name === name);
}

/** A finished chat: its trace id and client request id. */
export async function finishedChat(client, message = "Tell me about feedback") {
  const stream = client.chat(message);
  const result = await stream.result();
  return result;
}

/** A feedback name unique to one test, so assertions never see another test's assessments. */
let counter = 0;
export function uniqueName(prefix) {
  counter += 1;
  return `${prefix}_${process.pid}_${counter}`;
}
