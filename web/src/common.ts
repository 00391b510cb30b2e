// What both pages share: where Envoy is (config.json, served beside the pages), the gRPC-Web
// transport with the page's bearer token, and a failure turned into words with its reason, never a
// blank failure.
import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { ErrorInfoSchema, RetryInfoSchema } from "./gen/google/rpc/error_details_pb.js";

export interface PageConfig {
  /** Envoy's base URL for the chat page's four methods (gRPC-Web). */
  chatBaseUrl: string;
  /** Envoy's route prefix for the operator dashboard's three analytics methods. */
  operatorBaseUrl: string;
  /** Sent as the chat's `model` trace tag: the dashboard groups by it. */
  model: string;
}

export async function loadConfig(): Promise<PageConfig> {
  const response = await fetch("config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  return (await response.json()) as PageConfig;
}

/** A token is fetched again this long before it expires, so that no call leaves with a stale one. */
const RENEW_BEFORE_MS = 60_000;

/** Sends `authorization: Bearer <token>` with every call: a short-lived token for the service from the
 * page server (`{"token": ..., "expiresIn": seconds}` at credentialUrl), the stand-in for your sign-in,
 * fetched when first needed and again shortly before it expires. Kept in memory only. */
function bearer(credentialUrl: string): Interceptor {
  let current: { token: string; renewAt: number } | undefined;
  let fetching: Promise<{ token: string; renewAt: number }> | undefined;
  const fetchToken = async () => {
    const response = await fetch(credentialUrl, { cache: "no-store" });
    if (!response.ok) throw new ConnectError(`no credential from ${credentialUrl}: HTTP ${response.status}`, Code.Unauthenticated);
    const { token, expiresIn } = (await response.json()) as { token: string; expiresIn: number };
    return { token, renewAt: Date.now() + expiresIn * 1000 - RENEW_BEFORE_MS }; // this clock, not the server's
  };
  const token = async () => {
    if (!current || Date.now() >= current.renewAt) {
      fetching ??= fetchToken().finally(() => (fetching = undefined)); // one fetch for calls made meanwhile
      current = await fetching;
    }
    return current.token;
  };
  return (next) => async (request) => {
    request.header.set("authorization", `Bearer ${await token()}`);
    return next(request);
  };
}

export function transport(baseUrl: string, credentialUrl: string): Transport {
  // Binary protobuf: what Envoy's grpc_web filter expects (application/grpc-web+proto).
  return createGrpcWebTransport({ baseUrl, useBinaryFormat: true, interceptors: [bearer(credentialUrl)] });
}

/** gRPC's canonical code names (UNAVAILABLE, ...), as the service's documentation writes them. */
export function codeName(code: Code): string {
  return (Code[code] ?? "UNKNOWN").replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

export interface Failure {
  code: string;
  /** google.rpc.ErrorInfo.reason from grpc-status-details-bin, or our own word for a call that never got an answer. */
  reason: string;
  message: string;
  /** RetryInfo.retry_delay, in seconds, when the service says when to try again. */
  retryAfterSeconds?: number;
}

export function describe(error: unknown): Failure {
  const failure = ConnectError.from(error);
  const info = failure.findDetails(ErrorInfoSchema)[0];
  const retry = failure.findDetails(RetryInfoSchema)[0]?.retryDelay;
  const retryAfterSeconds = retry ? Number(retry.seconds) + retry.nanos / 1e9 : undefined;
  if (info) {
    return { code: codeName(failure.code), reason: info.reason, message: failure.rawMessage, retryAfterSeconds };
  }
  if (failure.cause instanceof TypeError) {
    // fetch() failed: no HTTP answer the page may read. The browser refused it (CORS) or the network did.
    return {
      code: "UNAVAILABLE",
      reason: "UNREACHABLE",
      message: `the browser could not reach the service (refused by CORS, or the network is down): ${failure.rawMessage}`,
    };
  }
  return { code: codeName(failure.code), reason: codeName(failure.code), message: failure.rawMessage, retryAfterSeconds };
}

export function failureText(failure: Failure): string {
  const retry =
    failure.retryAfterSeconds !== undefined ? `; retry in ${Math.ceil(failure.retryAfterSeconds)} s` : "";
  return `${failure.reason} (${failure.code}): ${failure.message || "no message"}${retry}`;
}

/** document.createElement with attributes and children, for building the pages' DOM. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}
