/**
 * `eventually` and `consistently` over a traffic step's per-second timeline.
 *
 * - eventually {within: W, X}: there is a second t, no later than W after the step's last change
 *   (apply, delete or fault; the start of the traffic when the step changes nothing), such that X
 *   holds over all traffic from t to the end. "It settles within W and stays settled."
 * - consistently {for: F, X}: X holds in every one-second window of the first F of the traffic
 *   (all of it when F is absent). A distribution test run once per second would raise false
 *   alarms more often than `confidence` promises, so each per-second test runs at the
 *   Bonferroni-corrected confidence 1 - (1 - confidence) / seconds: the run as a whole keeps the
 *   false-alarm bound the user chose.
 *
 * Seconds are by intended send time, so a request counts in the second it was due.
 */
import type { TrafficAssertion } from "../scenario/types.ts";
import { formatMs } from "../scenario/units.ts";
import { LatencyRecorder } from "../traffic/latency-recorder.ts";
import { secondHistograms } from "../traffic/executor.ts";
import type { LatencySummary, TrafficResult } from "../traffic/traffic-result.ts";
import { verdict, type AssertionResult } from "./assertion-result.ts";
import { evaluateExpectation } from "./evaluate.ts";

const EMPTY_LATENCY: LatencySummary = { count: 0, minMs: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p95Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 };

/** The traffic of seconds [from, to) as a TrafficResult of its own. */
export function trafficWindow(result: TrafficResult, from: number, to: number): TrafficResult {
  const seconds = result.timeline.filter((s) => s.second >= from && s.second < to);
  const sum = (pick: (s: (typeof seconds)[number]) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const s of seconds) for (const [k, v] of Object.entries(pick(s))) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const requests = seconds.reduce((n, s) => n + s.requests, 0);
  const errors = seconds.reduce((n, s) => n + s.errors, 0);
  const histograms = secondHistograms.get(result);
  let latency = EMPTY_LATENCY;
  if (histograms) {
    const merged = new LatencyRecorder();
    for (const s of seconds) if (histograms[s.second]) merged.add(histograms[s.second]!);
    latency = merged.summary();
  }
  return {
    ...result,
    requests,
    successes: requests - errors,
    errors: sum((s) => s.errorsByKind),
    byIdentity: { version: sum((s) => s.byVersion), instance: sum((s) => s.byInstance), service: sum((s) => s.byService) },
    latency,
    latencyRaw: latency,
    connections: { opened: seconds.reduce((n, s) => n + s.opened, 0), closedByPeer: seconds.reduce((n, s) => n + s.closedByPeer, 0), resets: seconds.reduce((n, s) => n + s.resets, 0) },
    durationMs: seconds.length * 1000,
    rate: seconds.length ? requests / seconds.length : 0,
    timeline: seconds,
  };
}

/** `anchorMs`: the step's last change, in milliseconds since the traffic's `startedAt`. */
export function evaluateEventually(inner: TrafficAssertion, withinMs: number, anchorMs: number, result: TrafficResult): AssertionResult {
  const end = result.timeline.length;
  const deadlineMs = Math.max(0, anchorMs) + withinMs;
  const lastStart = Math.min(end - 1, Math.floor(deadlineMs / 1000));
  let last: AssertionResult | undefined;
  for (let t = 0; t <= lastStart; t++) {
    const window = trafficWindow(result, t, end);
    if (window.requests === 0) continue;
    const r = evaluateExpectation(inner, window);
    last = r;
    if (!r.passed) continue;
    const when = `the last change was at ${formatMs(Math.round(Math.max(0, anchorMs)))}`;
    return {
      name: `eventually ${r.name}`,
      passed: true,
      message: `eventually (within ${formatMs(withinMs)}): held from second ${t} (${when}) to the end, ${window.requests} requests: ${stripVerdict(r.message)} — ${verdict(true)}`,
      details: { withinMs, anchorMs, heldFromSecond: t, inner: r.details },
    };
  }
  const tail = last ? `; from second ${lastStart}: ${stripVerdict(last.message)}` : "; no traffic in that time";
  return {
    name: `eventually ${last?.name ?? inner.kind}`,
    passed: false,
    message: `eventually (within ${formatMs(withinMs)} of the last change at ${formatMs(Math.max(0, anchorMs))}): never held through to the end of the traffic${tail} — ${verdict(false)}`,
    details: { withinMs, anchorMs, heldFromSecond: null, inner: last?.details ?? null },
  };
}

export function evaluateConsistently(inner: TrafficAssertion, forMs: number | undefined, result: TrafficResult): AssertionResult {
  const seconds = Math.min(result.timeline.length, forMs === undefined ? Number.POSITIVE_INFINITY : Math.ceil(forMs / 1000));
  const corrected: TrafficAssertion = inner.kind === "distribution" && seconds > 1 ? { ...inner, confidence: 1 - (1 - inner.confidence) / seconds } : inner;
  let name = inner.kind as string;
  let checked = 0;
  for (let t = 0; t < seconds; t++) {
    const window = trafficWindow(result, t, t + 1);
    if (window.requests === 0) continue;
    const r = evaluateExpectation(corrected, window);
    name = r.name;
    checked++;
    if (!r.passed) {
      return {
        name: `consistently ${r.name}`,
        passed: false,
        message: `consistently: failed in second ${t} of ${seconds}: ${stripVerdict(r.message)} — ${verdict(false)}`,
        details: { forMs: forMs ?? null, seconds, failedSecond: t, inner: r.details },
      };
    }
  }
  const passed = checked > 0;
  const note = corrected !== inner ? ` (each second tested at confidence ${(corrected as { confidence: number }).confidence.toPrecision(6)})` : "";
  return {
    name: `consistently ${name}`,
    passed,
    message: passed ? `consistently: held in each of ${checked} seconds${note} — ${verdict(true)}` : `consistently: no traffic in the first ${seconds} seconds to check — ${verdict(false)}`,
    details: { forMs: forMs ?? null, seconds, checked },
  };
}

function stripVerdict(message: string): string {
  return message.replace(/ — (pass|FAIL)$/, "");
}
