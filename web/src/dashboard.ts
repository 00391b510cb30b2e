// The operator's dashboard, on Envoy's /operator/ route: GetFeedbackSummary (per hour and per model,
// current votes only), the latest low-rated answers with their comments (ExportFeedback), and the
// feedback as it is recorded (WatchFeedback), which refreshes the figures.
import { createClient } from "@connectrpc/connect";
import { toJson, type JsonValue } from "@bufbuild/protobuf";
import { timestampDate, ValueSchema } from "@bufbuild/protobuf/wkt";
import {
  FeedbackAnalyticsService,
  GroupDimension,
  SummaryInterval,
  type ExportedFeedback,
  type ExportedTrace,
  type FeedbackSummary,
  type GetFeedbackSummaryResponse,
} from "./gen/genaifeedback/v1/analytics_pb.js";
import { barChart } from "./charts.js";
import { describe, failureText, h, loadConfig, transport } from "./common.js";

const THUMBS = "user_feedback";
const RATING = "user_rating";
const LOW_RATING = 2; // a rating at or below this, or a 👎, is a low-rated answer
const LOW_RATED_SHOWN = 10;
const MODEL_TAG = "model";
// The operator's bearer token, served on the page server's /operator/ route only (an end user's has no analytics scope).
const CREDENTIAL_URL = "operator/credential.json";

type Analytics = ReturnType<typeof createClient<typeof FeedbackAnalyticsService>>;

const percent = (v: number) => `${(v * 100).toFixed(1)}%`;
const $ = (id: string) => document.getElementById(id)!;

/** A figure in the page: its text for people, its exact value in data-value for tests and scripts. */
function figure(id: string, text: string, value: number | string): void {
  const element = $(id);
  element.textContent = text;
  element.dataset.value = String(value);
}

function valueOf(feedback: ExportedFeedback): JsonValue | undefined {
  return feedback.value ? toJson(ValueSchema, feedback.value) : undefined;
}

function isLow(feedback: ExportedFeedback): boolean {
  const value = valueOf(feedback);
  return (feedback.name === THUMBS && value === false) || (feedback.name === RATING && typeof value === "number" && value <= LOW_RATING);
}

function describeVote(feedback: ExportedFeedback): string {
  const value = valueOf(feedback);
  if (feedback.name === THUMBS) return value ? "👍" : "👎";
  if (feedback.name === RATING) return `rated ${JSON.stringify(value)} of 5`;
  return `${feedback.name} ${JSON.stringify(value)}`;
}

function renderTotals(total: FeedbackSummary | undefined): void {
  const thumbs = total?.booleans.find((b) => b.name === THUMBS);
  const rating = total?.numbers.find((n) => n.name === RATING);
  figure("trace-count", String(total?.traceCount ?? 0n), String(total?.traceCount ?? 0n));
  figure("traces-with-feedback", String(total?.tracesWithFeedback ?? 0n), String(total?.tracesWithFeedback ?? 0n));
  figure("feedback-rate", percent(total?.feedbackRate ?? 0), total?.feedbackRate ?? 0);
  if (thumbs) {
    figure("positive-rate", percent(thumbs.positiveRate), thumbs.positiveRate);
    figure("positive-interval", `95% interval ${percent(thumbs.positiveRateLow)} – ${percent(thumbs.positiveRateHigh)}`, `${thumbs.positiveRateLow},${thumbs.positiveRateHigh}`);
    figure("votes", `${thumbs.positive} 👍 / ${thumbs.negative} 👎`, `${thumbs.positive},${thumbs.negative}`);
  } else {
    figure("positive-rate", "–", "");
    figure("positive-interval", "no votes yet", "");
    figure("votes", "0 👍 / 0 👎", "0,0");
  }
  figure("rating-mean", rating ? rating.mean.toFixed(2) : "–", rating ? rating.mean : "");
  figure("rating-count", rating ? `${rating.count} rating${rating.count === 1n ? "" : "s"}` : "no ratings yet", rating ? String(rating.count) : "0");
  const distribution = [1, 2, 3, 4, 5].map((score) => ({ score, count: Number(rating?.distribution.find((d) => d.score === score)?.count ?? 0n) }));
  const most = Math.max(1, ...distribution.map((d) => d.count));
  $("rating-distribution").replaceChildren(
    barChart(
      "Ratings, 1 to 5",
      distribution.map((d) => ({ label: `${d.score}★`, value: d.count, title: `${d.score}: ${d.count} ratings` })),
      most,
      (v) => String(Math.round(v)),
      most > 1 ? [0, Math.round(most / 2), most] : [0, most],
    ),
  );
  $("rating-distribution").dataset.value = distribution.map((d) => d.count).join(",");
}

function renderHours(response: GetFeedbackSummaryResponse): void {
  const bars = response.buckets
    .map((bucket) => ({ start: bucket.startTime ? timestampDate(bucket.startTime) : new Date(0), thumbs: bucket.summary?.booleans.find((b) => b.name === THUMBS), summary: bucket.summary }))
    .filter((b) => b.thumbs && b.thumbs.positive + b.thumbs.negative > 0n)
    .map((b) => ({
      label: b.start.toISOString().slice(11, 16),
      value: b.thumbs!.positiveRate,
      low: b.thumbs!.positiveRateLow,
      high: b.thumbs!.positiveRateHigh,
      title: `${b.start.toISOString().slice(0, 13)}:00 UTC: ${percent(b.thumbs!.positiveRate)} positive (${b.thumbs!.positive} of ${b.thumbs!.positive + b.thumbs!.negative}), feedback rate ${percent(b.summary?.feedbackRate ?? 0)}`,
    }));
  $("hourly-chart").replaceChildren(barChart("Positive rate per hour (UTC) with its 95% interval", bars, 1, percent));
  $("hourly-chart").dataset.buckets = String(bars.length);
}

function renderModels(response: GetFeedbackSummaryResponse): void {
  const rows = response.groups.map((group) => {
    const thumbs = group.summary?.booleans.find((b) => b.name === THUMBS);
    const rating = group.summary?.numbers.find((n) => n.name === RATING);
    const distribution = [1, 2, 3, 4, 5].map((s) => String(rating?.distribution.find((d) => d.score === s)?.count ?? 0n)).join(" / ");
    return h(
      "tr",
      { "data-model": group.value },
      h("th", { scope: "row" }, group.value || "(no model tag)"),
      h("td", {}, String(group.summary?.traceCount ?? 0n)),
      h("td", {}, percent(group.summary?.feedbackRate ?? 0)),
      h("td", {}, thumbs ? `${percent(thumbs.positiveRate)} (${percent(thumbs.positiveRateLow)} – ${percent(thumbs.positiveRateHigh)})` : "–"),
      h("td", {}, rating ? `${rating.mean.toFixed(2)} (n=${rating.count})` : "–"),
      h("td", {}, distribution),
    );
  });
  $("models").replaceChildren(...rows);
}

function lowRatedItem(trace: ExportedTrace | undefined, feedback: ExportedFeedback): HTMLElement {
  const when = feedback.createTime ? timestampDate(feedback.createTime).toISOString().replace("T", " ").slice(0, 19) : "";
  return h(
    "li",
    { "data-assessment-id": feedback.assessmentId, "data-trace-id": feedback.traceId },
    h("p", { class: "low-vote" }, `${describeVote(feedback)} by ${feedback.source?.id ?? "?"} at ${when} UTC on `, h("code", {}, feedback.traceId)),
    ...(trace?.responsePreview ? [h("blockquote", {}, trace.responsePreview)] : []),
    h("p", { class: "comment" }, feedback.rationale ? `“${feedback.rationale}”` : "(no comment)"),
  );
}

async function loadLowRated(analytics: Analytics): Promise<void> {
  const found: { trace: ExportedTrace; feedback: ExportedFeedback }[] = [];
  // One stream: every trace of the last 24 hours with these names' feedback (page_token is only for resuming).
  for await (const page of analytics.exportFeedback({ names: [THUMBS, RATING], onlyWithFeedback: true })) {
    if (page.trace) for (const feedback of page.trace.feedback) if (isLow(feedback)) found.push({ trace: page.trace, feedback });
  }
  found.sort((a, b) => Number((b.feedback.createTime?.seconds ?? 0n) - (a.feedback.createTime?.seconds ?? 0n)));
  $("low-rated").replaceChildren(...found.slice(0, LOW_RATED_SHOWN).map((f) => lowRatedItem(f.trace, f.feedback)));
}

async function loadSummary(analytics: Analytics): Promise<void> {
  const response = await analytics.getFeedbackSummary({
    interval: SummaryInterval.HOUR,
    groupBy: GroupDimension.TRACE_TAG,
    groupByTag: MODEL_TAG,
    countTracesWithFeedback: true,
  });
  renderTotals(response.total);
  renderHours(response);
  renderModels(response);
  $("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
  document.body.dataset.summaryLoaded = String(Number(document.body.dataset.summaryLoaded ?? "0") + 1);
}

function showError(error: unknown): void {
  const failure = describe(error);
  $("page-error").textContent = failureText(failure);
  $("page-error").dataset.reason = failure.reason;
}

/** Follow WatchFeedback: each new feedback goes to the live list, low ones to the low-rated list,
 * and the figures are fetched again (at most once per second). Reconnects after a failure. */
async function watch(analytics: Analytics, refresh: () => void): Promise<void> {
  let cursor = "";
  for (;;) {
    try {
      $("live-state").textContent = "live";
      for await (const event of analytics.watchFeedback({ cursor, lookbackHours: 24 })) {
        cursor = event.cursor;
        const feedback = event.feedback;
        if (!feedback) continue;
        const item = h("li", { "data-assessment-id": feedback.assessmentId }, `${describeVote(feedback)} by ${feedback.source?.id ?? "?"} on `, h("code", {}, feedback.traceId), feedback.rationale ? ` “${feedback.rationale}”` : "");
        $("live").prepend(item);
        if (isLow(feedback)) $("low-rated").prepend(lowRatedItem(undefined, feedback));
        refresh();
      }
    } catch (error) {
      showError(error);
    }
    $("live-state").textContent = "reconnecting";
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

async function main(): Promise<void> {
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    $("page-error").textContent = `cannot load the page's settings: ${String(error)}`;
    return;
  }
  const analytics = createClient(FeedbackAnalyticsService, transport(config.operatorBaseUrl, CREDENTIAL_URL));
  let pending: ReturnType<typeof setTimeout> | undefined;
  const refresh = () => {
    pending ??= setTimeout(() => {
      pending = undefined;
      loadSummary(analytics).catch(showError);
    }, 1000);
  };
  void watch(analytics, refresh);
  await Promise.all([loadSummary(analytics).catch(showError), loadLowRated(analytics).catch(showError)]);
  document.body.dataset.ready = "true";
}

void main();
