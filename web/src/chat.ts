// The chat page: a prompt, the answer streamed token by token from Chat (server streaming over
// gRPC-Web), and under each answer 👍/👎 with an optional comment and a 1-5 rating, sent with the
// answer's feedback token. A vote's state is followed from PENDING to STORED (GetFeedbackStatus); a
// vote the service could not be reached for is sent again with the same request_id.
import { createClient } from "@connectrpc/connect";
import { ChatService } from "./gen/genaifeedback/v1/chat_pb.js";
import { FeedbackService, FeedbackState } from "./gen/genaifeedback/v1/feedback_pb.js";
import { describe, failureText, h, loadConfig, transport } from "./common.js";
import { RETRY, withRetries } from "./retry.js";

const THUMBS = "user_feedback";
const RATING = "user_rating";
const STATUS_POLL_MS = 250;
const STATUS_POLL_LIMIT_MS = 60_000;
// The chat page's bearer token: the end user's principal, which may chat and vote with feedback tokens only.
const CREDENTIAL_URL = "credential.json";

type Chat = ReturnType<typeof createClient<typeof ChatService>>;
type Feedback = ReturnType<typeof createClient<typeof FeedbackService>>;

/** This browser's end user: an id of its own, kept across visits (a real page has its login's id). */
function userId(): string {
  const stored = localStorage.getItem("genaifeedback-user");
  if (stored) return stored;
  const made = `web-${crypto.randomUUID().slice(0, 8)}`;
  localStorage.setItem("genaifeedback-user", made);
  return made;
}

let answers = 0;

function answerView(question: string): HTMLElement {
  const n = ++answers;
  const thumbs = h(
    "div",
    { class: "thumbs", role: "group", "aria-label": "Your vote" },
    h("button", { type: "button", class: "thumb up", "aria-pressed": "false", "aria-label": "Thumbs up: a good answer", disabled: "" }, "👍"),
    h("button", { type: "button", class: "thumb down", "aria-pressed": "false", "aria-label": "Thumbs down: a poor answer", disabled: "" }, "👎"),
  );
  const rating = h(
    "select",
    { class: "rating", id: `rating-${n}`, disabled: "" },
    h("option", { value: "" }, "no rating"),
    ...[1, 2, 3, 4, 5].map((score) => h("option", { value: String(score) }, `${score} ${"★".repeat(score)}`)),
  );
  return h(
    "article",
    { class: "answer", "aria-labelledby": `question-${n}` },
    h("h2", { class: "question", id: `question-${n}` }, question),
    h("div", { class: "answer-text", "aria-live": "polite", "aria-busy": "true" }),
    h("p", { class: "trace" }, "Trace ", h("code", { class: "trace-id" }, "…")),
    h(
      "fieldset",
      { class: "feedback", disabled: "" },
      h("legend", {}, "Your feedback on this answer"),
      thumbs,
      h("label", { for: `comment-${n}` }, "Comment (optional, sent with your vote)"),
      h("textarea", { class: "comment", id: `comment-${n}`, rows: "2", maxlength: "2000" }),
      h("label", { for: `rating-${n}` }, "Rating"),
      h("div", { class: "rating-row" }, rating, h("button", { type: "button", class: "send-rating" }, "Send rating")),
      h("p", { class: "vote-state", role: "status", "aria-live": "polite" }),
      h("p", { class: "rating-state", role: "status", "aria-live": "polite" }),
    ),
    h("p", { class: "error", role: "alert" }),
  );
}

function showError(view: HTMLElement, error: unknown): void {
  const failure = describe(error);
  const box = view.querySelector<HTMLElement>(".error")!;
  box.textContent = failureText(failure);
  box.dataset.reason = failure.reason;
}

function clearError(view: HTMLElement): void {
  const box = view.querySelector<HTMLElement>(".error")!;
  box.textContent = "";
  delete box.dataset.reason;
}

/** Follow one vote until it leaves PENDING; a newer vote on the same answer stops the older one's watch. */
async function follow(feedback: Feedback, line: HTMLElement, traceId: string, assessmentId: string, label: string): Promise<void> {
  const deadline = Date.now() + STATUS_POLL_LIMIT_MS;
  let state = FeedbackState.PENDING;
  while (state === FeedbackState.PENDING && Date.now() < deadline && line.dataset.assessmentId === assessmentId) {
    await new Promise((resolve) => setTimeout(resolve, STATUS_POLL_MS));
    const status = await withRetries(() =>
      feedback.getFeedbackStatus({
        target: { case: "traceId", value: traceId },
        feedback: { case: "assessmentId", value: assessmentId },
      }),
    );
    state = status.state;
    if (line.dataset.assessmentId === assessmentId) {
      line.textContent = `${label}: ${FeedbackState[state]}${status.reason ? ` (${status.reason})` : ""}`;
      line.dataset.state = FeedbackState[state];
    }
  }
}

interface Sent {
  traceId: string;
  assessmentId: string;
  state: FeedbackState;
}

/** Send one vote or rating and show its state on `line`: SENDING; RETRYING while the service cannot
 * be reached (each attempt with the same request_id, so it is recorded once); then PENDING until
 * GetFeedbackStatus says STORED (or why not). A failure is shown with its reason. */
async function record(view: HTMLElement, feedback: Feedback, line: HTMLElement, label: string, send: (requestId: string) => Promise<Sent>): Promise<Sent | undefined> {
  clearError(view);
  const show = (state: string, text: string) => {
    line.dataset.state = state;
    line.textContent = `${label}: ${text}`;
  };
  const requestId = crypto.randomUUID(); // this action's idempotency key (AIP-155), the same on every retry
  let sent: Sent;
  try {
    sent = await withRetries(
      (attempt) => {
        show("SENDING", attempt === 1 ? "sending" : `sending again (attempt ${attempt} of ${RETRY.maxAttempts})`);
        return send(requestId);
      },
      (failure, attempt, delay) =>
        show("RETRYING", `${failure.reason} (${failure.code}); attempt ${attempt} of ${RETRY.maxAttempts} in ${delay.toFixed(1)} s`),
    );
  } catch (error) {
    show("FAILED", "not recorded");
    showError(view, error);
    return undefined;
  }
  line.dataset.assessmentId = sent.assessmentId;
  show(FeedbackState[sent.state], FeedbackState[sent.state]);
  // Recorded whatever happens next: a status that cannot be read is shown as an error, not as "not recorded".
  follow(feedback, line, sent.traceId, sent.assessmentId, label).catch((error) => showError(view, error));
  return sent;
}

function wireFeedback(view: HTMLElement, feedback: Feedback): void {
  const token = () => view.dataset.feedbackToken ?? "";
  const traceId = () => view.dataset.traceId ?? "";
  const up = view.querySelector<HTMLButtonElement>(".thumb.up")!;
  const down = view.querySelector<HTMLButtonElement>(".thumb.down")!;

  const vote = async (value: boolean): Promise<void> => {
    // Read once: every attempt sends the same request (a comment edited meanwhile is a new vote).
    const request = {
      target: { case: "traceId" as const, value: traceId() },
      name: THUMBS,
      value: { case: "boolValue" as const, value },
      rationale: view.querySelector<HTMLTextAreaElement>(".comment")!.value.trim(),
      feedbackToken: token(),
    };
    const line = view.querySelector<HTMLElement>(".vote-state")!;
    const voted = await record(view, feedback, line, value ? "👍 vote" : "👎 vote", (requestId) =>
      feedback.submitFeedback({ ...request, requestId }),
    );
    if (voted) {
      up.setAttribute("aria-pressed", String(value));
      down.setAttribute("aria-pressed", String(!value));
    }
  };
  up.addEventListener("click", () => void vote(true));
  down.addEventListener("click", () => void vote(false));

  view.querySelector<HTMLButtonElement>(".send-rating")!.addEventListener("click", () => {
    const line = view.querySelector<HTMLElement>(".rating-state")!;
    const score = Number(view.querySelector<HTMLSelectElement>(".rating")!.value);
    if (!score) {
      clearError(view);
      line.textContent = "Choose a rating from 1 to 5 first.";
      return;
    }
    const request = { target: { case: "traceId" as const, value: traceId() }, ratings: [{ name: RATING, score }], feedbackToken: token() };
    void record(view, feedback, line, `rating ${score}`, async (requestId) => {
      const sent = await feedback.submitRatings({ ...request, requestId });
      return { traceId: sent.traceId, assessmentId: sent.assessmentIds[RATING], state: sent.state };
    });
  });
}

async function ask(chat: Chat, feedback: Feedback, question: string, user: string, model: string): Promise<void> {
  const view = answerView(question);
  wireFeedback(view, feedback); // its controls stay disabled until the answer and its token are in
  document.getElementById("conversation")!.append(view);
  const text = view.querySelector<HTMLElement>(".answer-text")!;
  try {
    for await (const response of chat.chat({ message: question, userId: user, tags: { model } })) {
      const event = response.event;
      if (event.case === "started") {
        view.dataset.traceId = event.value.traceId;
        view.querySelector(".trace-id")!.textContent = event.value.traceId;
      } else if (event.case === "token") {
        text.append(event.value.text); // one DOM update per event, as it arrives
      } else if (event.case === "finished") {
        view.dataset.feedbackToken = event.value.feedbackToken;
        view.dataset.finished = "true";
        view.querySelector("fieldset")!.disabled = false;
        for (const control of view.querySelectorAll<HTMLButtonElement | HTMLSelectElement>("button, select")) {
          control.disabled = false;
        }
      }
    }
  } catch (error) {
    showError(view, error);
  } finally {
    text.setAttribute("aria-busy", "false");
  }
}

async function main(): Promise<void> {
  const form = document.getElementById("prompt-form") as HTMLFormElement;
  const prompt = document.getElementById("prompt") as HTMLTextAreaElement;
  const user = userId();
  document.getElementById("user-id")!.textContent = user;
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    document.getElementById("page-error")!.textContent = `cannot load the page's settings: ${String(error)}`;
    return;
  }
  const calls = transport(config.chatBaseUrl, CREDENTIAL_URL);
  const chat = createClient(ChatService, calls);
  const feedback = createClient(FeedbackService, calls);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = prompt.value.trim();
    if (!question) return;
    prompt.value = "";
    void ask(chat, feedback, question, user, config.model);
  });
  // Enter sends, Shift+Enter is a new line.
  prompt.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  document.body.dataset.ready = "true";
}

void main();
