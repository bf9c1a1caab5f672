/**
 * The differential check of `--data-plane both`: the same scenario ran on meshsim's proxy and on
 * Envoy; where the two disagree significantly on what clients saw — the split across versions,
 * the success rate, the kinds of errors — one of them is wrong. Each traffic action is compared
 * with its counterpart (same step, same position), with a chi-square test of homogeneity at
 * `confidence` and a `tolerance` on the shares, like `distribution` expectations.
 *
 * Which side to suspect: the one whose own expectations failed (the scenario says what is right);
 * when both passed or both failed, the scenario cannot tell, and the finding says so.
 */
import type { RunSummary } from "../report/summary.ts";
import type { TrafficResult } from "../traffic/traffic-result.ts";
import { chiSquareSurvival } from "./statistics.ts";

export interface DifferentialFinding {
  step: string;
  /** What differs: "version split", "success rate" or "error kinds". */
  aspect: string;
  /** Both sides' observations, in words. */
  message: string;
  /** p-value of the homogeneity test. */
  p: number;
  /** The data plane to suspect, or undefined when the scenario cannot tell. */
  suspect?: "meshsim" | "envoy";
  hint: string;
}

export interface DifferentialOptions {
  confidence?: number;
  /** Largest difference of shares ignored even when significant. */
  tolerance?: number;
}

/** Chi-square test of homogeneity of two count vectors over the same categories. */
export function homogeneity(a: readonly number[], b: readonly number[]): { statistic: number; df: number; p: number } {
  const na = a.reduce((s, x) => s + x, 0);
  const nb = b.reduce((s, x) => s + x, 0);
  const n = na + nb;
  let statistic = 0;
  let categories = 0;
  for (let i = 0; i < a.length; i++) {
    const column = (a[i] ?? 0) + (b[i] ?? 0);
    if (column === 0) continue;
    categories++;
    for (const [observed, rowTotal] of [
      [a[i] ?? 0, na],
      [b[i] ?? 0, nb],
    ] as const) {
      const expected = (rowTotal * column) / n;
      if (expected > 0) statistic += (observed - expected) ** 2 / expected;
    }
  }
  const df = Math.max(categories - 1, 0);
  return { statistic, df, p: df === 0 || na === 0 || nb === 0 ? 1 : chiSquareSurvival(statistic, df) };
}

function compareCounts(
  aspect: string,
  step: string,
  a: Readonly<Record<string, number>>,
  b: Readonly<Record<string, number>>,
  options: Required<DifferentialOptions>,
): Omit<DifferentialFinding, "suspect" | "hint"> | undefined {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const va = keys.map((k) => a[k] ?? 0);
  const vb = keys.map((k) => b[k] ?? 0);
  const ta = va.reduce((s, x) => s + x, 0);
  const tb = vb.reduce((s, x) => s + x, 0);
  if (ta === 0 || tb === 0) return undefined;
  const test = homogeneity(va, vb);
  const widest = Math.max(...keys.map((_, i) => Math.abs(va[i]! / ta - vb[i]! / tb)));
  if (test.p >= 1 - options.confidence || widest <= options.tolerance) return undefined;
  const show = (v: number[], t: number) => keys.map((k, i) => `${k}=${v[i]} (${((v[i]! / t) * 100).toFixed(1)}%)`).join(" ");
  return { step, aspect, message: `meshsim ${show(va, ta)} vs envoy ${show(vb, tb)}`, p: test.p };
}

function label(t: TrafficResult): string {
  return t.id !== undefined ? `${t.step} (${t.id})` : t.step;
}

/** Each traffic action keyed by its step, its `id` and its place among the step's actions of that id. */
function trafficByKey(s: RunSummary): Map<string, { t: TrafficResult; passed: boolean }> {
  const out = new Map<string, { t: TrafficResult; passed: boolean }>();
  for (const step of s.steps) {
    const seen = new Map<string, number>();
    for (const t of step.traffic) {
      const base = `${step.name}\u0000${label(t)}`;
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.set(`${base}\u0000${n}`, { t, passed: step.passed });
    }
  }
  return out;
}

/**
 * Findings, one per aspect of each traffic action where the two runs disagree; traffic that ran
 * on one data plane only (a step stopped early on the other) is a finding too.
 */
export function compareDataPlanes(meshsim: RunSummary, envoy: RunSummary, options: DifferentialOptions = {}): DifferentialFinding[] {
  const opts = { confidence: options.confidence ?? 0.999, tolerance: options.tolerance ?? 0.03 };
  const a = trafficByKey(meshsim);
  const b = trafficByKey(envoy);
  const out: DifferentialFinding[] = [];
  for (const [key, only, other] of [...[...a.keys()].map((k) => [k, a, b] as const), ...[...b.keys()].map((k) => [k, b, a] as const)]) {
    if (other.has(key)) continue;
    const side = only === a ? "meshsim" : "envoy";
    const t = only.get(key)!.t;
    out.push({ step: label(t), aspect: "traffic", message: `ran on ${side} only (${t.requests} requests)`, p: 0, hint: "one run stopped before this traffic: read that run's errors first" });
  }
  for (const [key, x] of a) {
    const y = b.get(key);
    if (!y) continue;
    const suspect = x.passed === y.passed ? undefined : x.passed ? ("envoy" as const) : ("meshsim" as const);
    const hint =
      suspect === "meshsim"
        ? "meshsim's run broke an expectation Envoy met: suspect a meshsim bug"
        : suspect === "envoy"
          ? "Envoy's run broke an expectation meshsim met: suspect an Envoy gap or a translation meshsim gets wrong for Envoy"
          : "the scenario's expectations do not tell which is right: tighten them, or read both reports";
    const step = label(x.t);
    const found = [
      compareCounts("version split", step, x.t.byIdentity.version, y.t.byIdentity.version, opts),
      compareCounts("success rate", step, { ok: x.t.successes, failed: x.t.requests - x.t.successes }, { ok: y.t.successes, failed: y.t.requests - y.t.successes }, opts),
      compareCounts("error kinds", step, x.t.errors, y.t.errors, opts),
    ];
    for (const f of found) if (f) out.push({ ...f, ...(suspect && { suspect }), hint });
  }
  return out;
}
