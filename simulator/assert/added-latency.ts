/**
 * `addedLatency`: how much slower this traffic is than a baseline step of the same run, e.g. a
 * fault delay adds at least 90 ms over the path without it. Both sides are measured on the same
 * machine under the same load, so a busy machine raises both and the difference holds where an
 * absolute threshold would only hold on an idle one.
 */
import type { ThresholdStat } from "./thresholds.ts";
import { observe } from "./thresholds.ts";
import type { TrafficResult } from "../traffic/traffic-result.ts";
import { formatMs } from "../scenario/units.ts";
import { verdict, type AssertionResult } from "./assertion-result.ts";

export interface AddedLatencyExpectation {
  over: string;
  stat: Exclude<ThresholdStat, "rate">;
  minMs?: number;
  maxMs?: number;
}

export function evaluateAddedLatency(e: AddedLatencyExpectation, result: TrafficResult, baseline: TrafficResult | undefined): AssertionResult {
  const bounds = [e.minMs !== undefined ? `>= ${formatMs(e.minMs)}` : "", e.maxMs !== undefined ? `<= ${formatMs(e.maxMs)}` : ""].filter(Boolean).join(" and ");
  const name = `added latency ${e.stat} over ${e.over}`;
  const fail = (why: string): AssertionResult => ({ name, passed: false, message: `${name}: ${why} (expected ${bounds}) — ${verdict(false)}`, details: {} });
  if (!baseline) return fail(`step "${e.over}" recorded no traffic`);
  const here = observe(e.stat, result);
  const base = observe(e.stat, baseline);
  if (typeof here === "string") return fail(here);
  if (typeof base === "string") return fail(`${e.over}: ${base}`);
  const added = here - base;
  const passed = (e.minMs === undefined || added >= e.minMs) && (e.maxMs === undefined || added <= e.maxMs);
  const shown = added < 0 ? `-${formatMs(-added)}` : formatMs(added);
  return {
    name,
    passed,
    message: `${name}: ${e.stat} ${formatMs(here)} here, ${formatMs(base)} in ${e.over}: ${shown} added (expected ${bounds}) — ${verdict(passed)}`,
    details: { stat: e.stat, ms: here, baselineMs: base, addedMs: added, minMs: e.minMs ?? null, maxMs: e.maxMs ?? null },
  };
}
