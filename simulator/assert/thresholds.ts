/**
 * k6 threshold expressions over a traffic step's latency and error rate.
 *
 *   threshold := stat op value
 *   stat      := "avg" | "min" | "max" | "med" | "rate" | "p(" number ")"
 *   op        := "<" | "<=" | ">" | ">=" | "==" | "===" | "!="
 *   value     := number [ "us" | "ms" | "s" | "m" ]     latency; a bare number is milliseconds
 *              | number [ "%" ]                          rate: the share of failed requests
 *
 * Latency is the open-loop (coordinated-omission corrected) latency.
 */
import type { LatencySummary, TrafficResult } from "../traffic/traffic-result.ts";
import { formatMs } from "../scenario/units.ts";
import { percent, verdict, type AssertionResult } from "./assertion-result.ts";
import { compare } from "./metric.ts";

export type ThresholdOp = "<" | "<=" | ">" | ">=" | "==" | "!=";
export type ThresholdStat = "avg" | "min" | "max" | "med" | "rate" | `p(${number})`;

export interface Threshold {
  /** The expression as written. */
  source: string;
  stat: ThresholdStat;
  op: ThresholdOp;
  /** Milliseconds for latency statistics, a fraction (0..1) for rate. */
  value: number;
}

export class ThresholdSyntaxError extends Error {
  constructor(
    readonly expression: string,
    reason: string,
  ) {
    super(`threshold "${expression}": ${reason}`);
    this.name = "ThresholdSyntaxError";
  }
}

/** Percentiles LatencySummary records, and where. */
const PERCENTILES: Record<string, keyof LatencySummary> = {
  "50": "p50Ms",
  "90": "p90Ms",
  "95": "p95Ms",
  "99": "p99Ms",
  "99.9": "p999Ms",
};
const NAMED: Record<string, keyof LatencySummary> = { avg: "meanMs", min: "minMs", max: "maxMs", med: "p50Ms" };
const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

const GRAMMAR = /^\s*([A-Za-z_][A-Za-z0-9_.]*(?:\(\s*[^)]*\))?)\s*(===|==|!=|<=|>=|<|>)\s*(.*?)\s*$/;

export function parseThreshold(expression: string): Threshold {
  const m = GRAMMAR.exec(expression);
  if (!m) {
    throw new ThresholdSyntaxError(expression, 'expected "<stat> <op> <value>", e.g. "p(99) < 20ms", "avg < 5ms" or "rate < 0.01"');
  }
  const [, rawStat = "", rawOp = "", rawValue = ""] = m;
  const stat = parseStat(expression, rawStat);
  const op = (rawOp === "===" ? "==" : rawOp) as ThresholdOp;
  if (rawValue === "") throw new ThresholdSyntaxError(expression, `missing a value after "${rawOp}"`);
  const value = stat === "rate" ? parseRateValue(expression, rawValue) : parseLatencyValue(expression, rawValue);
  return { source: expression.trim(), stat, op, value };
}

/** A latency statistic on its own (`p(50)`, `avg`, ...), as other assertions name one. */
export function parseLatencyStat(raw: string): Exclude<ThresholdStat, "rate"> {
  const stat = parseStat(raw, raw);
  if (stat === "rate") throw new ThresholdSyntaxError(raw, "rate is not a latency; use avg, min, max, med or p(N)");
  return stat;
}

function parseStat(expression: string, raw: string): ThresholdStat {
  const text = raw.replace(/\s+/g, "");
  if (text === "avg" || text === "min" || text === "max" || text === "med" || text === "rate") return text;
  const p = /^p\((\d+(?:\.\d+)?)\)$/.exec(text);
  if (p) {
    const n = String(Number(p[1]));
    if (!(n in PERCENTILES)) {
      throw new ThresholdSyntaxError(
        expression,
        `p(${p[1]}) is not recorded; use one of ${Object.keys(PERCENTILES)
          .map((k) => `p(${k})`)
          .join(", ")}`,
      );
    }
    return `p(${Number(n)})`;
  }
  const bare = /^p(\d+(?:\.\d+)?)$/i.exec(text);
  const hint = bare ? `; did you mean "p(${bare[1]})"?` : "";
  throw new ThresholdSyntaxError(expression, `unknown statistic "${raw}" (expected avg, min, max, med, p(N) or rate)${hint}`);
}

function parseLatencyValue(expression: string, raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(us|ms|s|m)?$/.exec(raw);
  if (!m) throw new ThresholdSyntaxError(expression, `expected a latency like "20ms" or "1.5s", got "${raw}"`);
  return Number(m[1]) * (UNIT_MS[m[2] ?? "ms"] as number);
}

function parseRateValue(expression: string, raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(%)?$/.exec(raw);
  if (!m) throw new ThresholdSyntaxError(expression, `rate is the share of failed requests; expected a number like 0.01 or 1%, got "${raw}"`);
  const value = m[2] ? Number(m[1]) / 100 : Number(m[1]);
  if (value > 1) throw new ThresholdSyntaxError(expression, `rate is a share between 0 and 1 (or a percentage), got ${raw}`);
  return value;
}

/** The observed value of a statistic, or a reason it cannot be observed. */
export function observe(stat: ThresholdStat, result: TrafficResult): number | string {
  if (stat === "rate") {
    if (result.requests === 0) return "no requests were sent";
    return (result.requests - result.successes) / result.requests;
  }
  if (result.latency.count === 0) return "no latency samples";
  const field = stat in NAMED ? NAMED[stat] : PERCENTILES[stat.slice(2, -1)];
  return result.latency[field as keyof LatencySummary];
}

export function evaluateThresholds(thresholds: readonly Threshold[], result: TrafficResult): AssertionResult {
  const checks = thresholds.map((t) => {
    const actual = observe(t.stat, result);
    const passed = typeof actual === "number" && compare(actual, t.op, t.value);
    const shown = typeof actual === "string" ? actual : t.stat === "rate" ? percent(actual, 2) : formatMs(actual);
    const limit = t.stat === "rate" ? percent(t.value, 2) : formatMs(t.value);
    return {
      threshold: t.source,
      stat: t.stat,
      op: t.op,
      limit: t.value,
      actual: typeof actual === "number" ? actual : null,
      passed,
      text: `${t.stat}=${shown} ${t.op} ${limit} ${passed ? "ok" : "violated"}`,
    };
  });
  const passed = checks.every((c) => c.passed);
  const name = `thresholds ${thresholds.map((t) => t.source).join(", ")}`;
  return {
    name,
    passed,
    message: `thresholds: ${checks.map((c) => c.text).join("; ")} — ${verdict(passed)}`,
    details: { checks: checks.map(({ text: _text, ...rest }) => rest) },
  };
}
