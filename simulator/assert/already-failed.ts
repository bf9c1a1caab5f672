/**
 * Fail fast: while a traffic step runs, which of its expectations can no longer hold whatever
 * the remaining requests do (k6's abortOnFail)? Only checks that get monotonically worse are
 * judged early: a success-rate floor (failures only grow), an error count's maximum, and a
 * failure-rate threshold — each against the most requests the step can still send.
 */
import type { Expectation } from "../scenario/types.ts";
import { percent } from "./assertion-result.ts";
import { countErrors, topErrors } from "./errors.ts";

export interface LiveCounts {
  /** Requests answered or failed so far. */
  completed: number;
  failures: number;
  errors: Readonly<Record<string, number>>;
}

/**
 * Why the expectations can no longer all hold, or undefined while they still can.
 * `maxRequests`: the most requests the step will have sent when it ends (Infinity when only a
 * duration bounds a closed-loop executor).
 */
export function alreadyFailed(expectations: readonly Expectation[], live: LiveCounts, maxRequests: number): string | undefined {
  for (const e of expectations) {
    switch (e.kind) {
      case "successRate": {
        // A floor of 100% allows no failure at all, however many requests (0 × Infinity is NaN).
        const allowed = e.min >= 1 ? 0 : (1 - e.min) * maxRequests;
        if (live.failures > allowed + 1e-9) {
          return `success rate ${percent(e.min, 2)} can no longer hold: ${live.failures} of at most ${formatCount(maxRequests)} requests failed (${topErrors(live.errors, 3)})`;
        }
        break;
      }
      case "errors":
        for (const [key, range] of Object.entries(e.counts)) {
          const n = key === "total" ? live.failures : countErrors(key, live.errors);
          if (range.max !== undefined && n > range.max) return `errors ${key} can no longer stay at most ${range.max}: ${n} already`;
        }
        break;
      case "thresholds":
        for (const t of e.thresholds) {
          if (t.stat !== "rate") continue;
          const lowest = live.failures / maxRequests;
          if ((t.op === "<" && lowest >= t.value) || (t.op === "<=" && lowest > t.value + 1e-12)) {
            return `threshold "${t.source}" can no longer hold: ${live.failures} of at most ${formatCount(maxRequests)} requests failed`;
          }
        }
        break;
      default:
        break;
    }
  }
  return undefined;
}

function formatCount(n: number): string {
  return Number.isFinite(n) ? String(Math.ceil(n)) : "unbounded";
}
