/**
 * `metric`: a sidecar counter read from its admin `/stats` JSON, or a service's own counters
 * (`received.<method>`, summed over its instances). Names are Envoy-style
 * (`cluster.outbound|9090|v1|hello.default.svc.cluster.local.upstream_rq_total`); `*` matches any
 * run of characters and every matching counter is summed, so `cluster.outbound|9090|*|hello.*.upstream_rq_total`
 * counts requests to every subset.
 */
import type { ComparisonOp, MetricCondition } from "../scenario/types.ts";
import { verdict, type AssertionResult } from "./assertion-result.ts";
import { replacementOf } from "./retired-metrics.ts";

export type StatsSnapshot = Readonly<Record<string, number>>;

/** Who the metric reads, for messages and as the key of its baseline: `caller` or `service hello v2`. */
export function metricSource(metric: MetricCondition): string {
  if (metric.service !== undefined) return `service ${metric.service}${metric.version !== undefined ? ` ${metric.version}` : ""}${metric.instance !== undefined ? ` ${metric.instance}` : ""}`;
  return metric.sidecar ?? "";
}

/** The summed value of every counter `pattern` matches, and how many matched. */
export function readMetric(stats: StatsSnapshot, pattern: string): { value: number; matched: string[] } {
  if (!pattern.includes("*")) return pattern in stats ? { value: stats[pattern]!, matched: [pattern] } : { value: 0, matched: [] };
  const re = new RegExp(`^${pattern.split("*").map(escapeRegExp).join(".*")}$`);
  const matched = Object.keys(stats).filter((k) => re.test(k));
  return { value: matched.reduce((sum, k) => sum + (stats[k] ?? 0), 0), matched };
}

export function compare(actual: number, op: ComparisonOp, limit: number): boolean {
  switch (op) {
    case "<":
      return actual < limit;
    case "<=":
      return actual <= limit;
    case ">":
      return actual > limit;
    case ">=":
      return actual >= limit;
    case "==":
      return actual === limit;
    case "!=":
      return actual !== limit;
  }
}

/** `baseline` is the value at the start of the step, for `delta: true`. */
export function evaluateMetric(metric: MetricCondition, stats: StatsSnapshot, baseline?: StatsSnapshot): AssertionResult {
  const { value, matched } = readMetric(stats, metric.name);
  const before = metric.delta && baseline ? readMetric(baseline, metric.name).value : 0;
  const actual = value - before;
  const passed = matched.length > 0 && compare(actual, metric.op, metric.value);
  const what = metric.delta ? `increase of ${metric.name}` : metric.name;
  const note = matched.length === 0 ? ` (${noMatch(stats, metric.name)})` : metric.name.includes("*") ? ` (sum of ${matched.length} counters)` : "";
  const source = metricSource(metric);
  return {
    name: `metric ${source} ${metric.name} ${metric.op} ${metric.value}`,
    passed,
    message: `metric: ${source} ${what}=${actual} ${metric.op} ${metric.value}${note} — ${verdict(passed)}`,
    details: { source, name: metric.name, op: metric.op, value: metric.value, delta: metric.delta, actual, matched },
  };
}

function noMatch(stats: StatsSnapshot, pattern: string): string {
  const replacement = replacementOf(pattern);
  if (replacement !== undefined) return `no counter matches: ${pattern} is no longer counted; use ${replacement}`;
  return `no counter matches; similar: ${similarNames(stats, pattern)}`;
}

function similarNames(stats: StatsSnapshot, pattern: string): string {
  const suffix = pattern.split(".").pop() ?? "";
  const names = Object.keys(stats)
    .filter((k) => k.endsWith(suffix))
    .slice(0, 3);
  return names.length ? names.join(", ") : "none";
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
