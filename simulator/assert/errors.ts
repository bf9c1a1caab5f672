/**
 * `errors`: counts of failed requests by kind. A key matches its kind exactly or as a
 * prefix before ":" (`TApplicationException` matches `TApplicationException:no_route`);
 * `total` counts every failure.
 */
import type { TrafficResult } from "../traffic/traffic-result.ts";
import { verdict, type AssertionResult } from "./assertion-result.ts";

export type ErrorCountRanges = Record<string, { min: number; max?: number }>;

export function countErrors(key: string, errors: Readonly<Record<string, number>>): number {
  let n = 0;
  for (const [kind, count] of Object.entries(errors)) {
    if (key === "total" || kind === key || kind.startsWith(`${key}:`)) n += count;
  }
  return n;
}

export function evaluateErrors(ranges: ErrorCountRanges, result: TrafficResult): AssertionResult {
  const checks = Object.entries(ranges).map(([key, { min, max }]) => {
    const actual = countErrors(key, result.errors);
    const passed = actual >= min && (max === undefined || actual <= max);
    const want = max === undefined ? `>= ${min}` : min === max ? `${min}` : `${min}..${max}`;
    return { key, actual, min, max: max ?? null, passed, text: `${key}=${actual} (expected ${want})${passed ? "" : " violated"}` };
  });
  const passed = checks.every((c) => c.passed);
  const seen = Object.keys(result.errors).length ? topErrors(result.errors) : "none";
  return {
    name: `errors ${Object.keys(ranges).join(", ")}`,
    passed,
    message: `errors: ${checks.map((c) => c.text).join("; ")}; seen: ${seen} — ${verdict(passed)}`,
    details: { checks: checks.map(({ text: _t, ...rest }) => rest), seen: result.errors },
  };
}

/** "timeout=3, reset=1" — the most frequent kinds first, at most `limit`. */
export function topErrors(errors: Readonly<Record<string, number>>, limit = 5): string {
  const entries = Object.entries(errors)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = entries.slice(0, limit).map(([k, n]) => `${k}=${n}`);
  if (entries.length > limit) shown.push(`+${entries.length - limit} more kinds`);
  return shown.join(", ") || "none";
}
