// What both pages share: where Envoy is (config.json, served beside the pages), the gRPC-Web
// transport, and a failure turned into words with its reason, never a blank failure.
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
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

export function transport(baseUrl: string): Transport {
  // Binary protobuf: what Envoy's grpc_web filter expects (application/grpc-web+proto).
  return createGrpcWebTransport({ baseUrl, useBinaryFormat: true });
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
