/** `successRate`: the share of requests that succeeded is at least `min`. */
import type { TrafficResult } from "../traffic/traffic-result.ts";
import { percent, verdict, type AssertionResult } from "./assertion-result.ts";
import { topErrors } from "./errors.ts";

export function evaluateSuccessRate(min: number, result: TrafficResult): AssertionResult {
  const name = "success rate";
  const { requests, successes } = result;
  if (requests === 0) {
    return { name, passed: false, message: `${name}: no requests were sent (expected >= ${percent(min, 2)}) — ${verdict(false)}`, details: { requests, successes, rate: null, min } };
  }
  const rate = successes / requests;
  const passed = rate >= min;
  const errors = requests > successes ? `; errors: ${topErrors(result.errors)}` : "";
  return {
    name,
    passed,
    message: `${name}: ${successes}/${requests} (${percent(rate, 2)}) ${passed ? ">=" : "<"} ${percent(min, 2)}${errors} — ${verdict(passed)}`,
    details: { requests, successes, failures: requests - successes, rate, min },
  };
}
