// A call refused UNAVAILABLE (Envoy could not reach the service, the connection broke, or the service
// could not journal the work) is made again, as the contract's retry policy for FeedbackService says
// (clients/service_config.json, bundled in): a vote keeps its request_id on every attempt, so the
// service records it once however many of them reached it (AIP-155).
import serviceConfig from "../../clients/service_config.json";
import { describe, type Failure } from "./common.js";

const SERVICE = "genaifeedback.v1.FeedbackService";
const policy = serviceConfig.methodConfig.find((config) =>
  config.name.some((name) => name.service === SERVICE && !("method" in name)),
)?.retryPolicy;
if (!policy) throw new Error(`clients/service_config.json has no retry policy for ${SERVICE}`);
const seconds = (duration: string) => Number(duration.replace(/s$/, ""));

export const RETRY = {
  maxAttempts: policy.maxAttempts,
  initialBackoffSeconds: seconds(policy.initialBackoff),
  maxBackoffSeconds: seconds(policy.maxBackoff),
  multiplier: policy.backoffMultiplier,
  codes: policy.retryableStatusCodes, // gRPC code names: UNAVAILABLE
};

/** How long to wait before attempt `attempt` + 1: RetryInfo's delay when the failure carries one,
 * else gRPC's backoff (gRFC A6), a random time up to initial × multiplier^(attempt-1), capped. */
export function retryDelaySeconds(failure: Failure, attempt: number, random: () => number = Math.random): number {
  if (failure.retryAfterSeconds !== undefined) return failure.retryAfterSeconds;
  const ceiling = RETRY.initialBackoffSeconds * RETRY.multiplier ** (attempt - 1);
  return random() * Math.min(ceiling, RETRY.maxBackoffSeconds);
}

/** call(attempt) until it succeeds, fails with a code not retried, or has been made maxAttempts times;
 * before each retry, waiting(failure, next attempt, delay in seconds) says why and for how long. */
export async function withRetries<T>(
  call: (attempt: number) => Promise<T>,
  waiting: (failure: Failure, nextAttempt: number, delaySeconds: number) => void = () => {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt);
    } catch (error) {
      const failure = describe(error);
      if (attempt >= RETRY.maxAttempts || !RETRY.codes.includes(failure.code)) throw error;
      const delay = retryDelaySeconds(failure, attempt);
      waiting(failure, attempt + 1, delay);
      await new Promise((resolve) => setTimeout(resolve, delay * 1000));
    }
  }
}
