/**
 * Checks that hold for every possible outcome prove nothing and hide the check that was meant:
 * a success-rate floor of 0, a threshold no value can break, a count range from 0 with no
 * maximum, a distribution tolerance of 100%. Validation rejects them with what to write instead.
 */
import type { Threshold } from "../assert/thresholds.ts";
import type { Assertion } from "./types.ts";

/** Why `assertion` cannot fail, or undefined when it can; `field` is the part at fault. */
export function vacuousCheck(assertion: Assertion): { field?: string; reason: string } | undefined {
  switch (assertion.kind) {
    case "successRate":
      if (assertion.min > 0) return undefined;
      return { reason: "a success-rate floor of 0 holds whatever happens; to expect failures, count them (errors: {<kind>: N} or errors: {total: N}); to expect some successes, set a floor above 0" };
    case "thresholds":
      for (const t of assertion.thresholds) {
        if (alwaysHolds(t))
          return {
            reason: `threshold "${t.source}" holds for every value (${t.stat === "rate" ? "rate is a share from 0 to 1" : "latency is never negative"}); write a limit that traffic could break`,
          };
      }
      return undefined;
    case "errors":
    case "connections":
      for (const [kind, range] of Object.entries(assertion.counts)) {
        if (range && range.min <= 0 && range.max === undefined) return { field: kind, reason: `a count from 0 with no maximum holds whatever happens; give a max, or a min above 0` };
      }
      return undefined;
    case "distribution":
      if (assertion.tolerance < 1) return undefined;
      return { field: "tolerance", reason: `a tolerance of ${assertion.tolerance * 100}% accepts any split; shares cannot deviate by more than 100%` };
    case "metric":
    case "affinity":
    case "addedLatency":
      return undefined;
    case "accessLog": {
      const { op, value } = assertion.accessLog;
      if ((op === ">=" && value <= 0) || (op === ">" && value < 0) || (op === "!=" && value < 0))
        return { field: "value", reason: `a line count ${op} ${value} holds whatever happens; counts are never negative` };
      return undefined;
    }
  }
}

function alwaysHolds(t: Threshold): boolean {
  const max = t.stat === "rate" ? 1 : Number.POSITIVE_INFINITY;
  switch (t.op) {
    case ">=":
      return t.value <= 0;
    case "<=":
      return t.value >= max;
    case "<":
      return t.value > max;
    default:
      return false;
  }
}
