/**
 * `distribution`: do successful responses split across versions / instances / services as
 * expected? A statistical test decides whether the deviation is real; `tolerance` decides
 * whether it matters. Fails only when both hold, so a fair split does not fail by chance
 * (false alarms need p < 1 - confidence) and an insignificant wobble at small counts does
 * not fail either.
 *
 * Test: for two categories the exact binomial test (R's binom.test), so the false-alarm
 * rate is at most 1 - confidence at any sample size; for more categories Pearson's
 * chi-square goodness of fit (df = k - 1). Observed categories that were not expected have expected share
 * 0, which no sample can come from, so they make the deviation significant (p = 0); they
 * still fail only when their share exceeds the tolerance.
 *
 * Deterministic routing is not a statistical question: with `exact: "zero-one"` (the default
 * when the scenario gives no tolerance) a category expected at 0 or 1 — unexpected ones
 * included — must get exactly that share, and with `exact: "all"` (round robin) every
 * category must get its share of the total to within one response.
 */
import type { DistributionKey } from "../scenario/types.ts";
import type { TrafficResult } from "../traffic/traffic-result.ts";
import { percent, verdict, type AssertionResult } from "./assertion-result.ts";
import { binomialTwoSided, chiSquareGoodnessOfFit } from "./statistics.ts";

export interface DistributionExpectation {
  by: DistributionKey;
  expected: Record<string, number>;
  tolerance: number;
  confidence: number;
  /** Which categories are held to their exact share (absent: none). */
  exact?: DistributionExactness;
}

export type DistributionExactness = "all" | "zero-one" | "none";

export interface CategoryOutcome {
  name: string;
  observed: number;
  observedShare: number;
  expectedShare: number;
  /** observedShare - expectedShare */
  deviation: number;
}

export type DistributionTest = "chi-square" | "exact binomial" | "none";

/**
 * Two categories use the exact binomial test up to this many responses (O(n) per check, ~0.1 s at
 * the limit): its false-alarm rate never exceeds 1 - confidence, which chi-square only
 * approximates (0.11% instead of 0.1% at 200 requests). Beyond it chi-square is accurate.
 */
const EXACT_BINOMIAL_MAX_N = 1_000_000;

/** Slack on the tolerance comparison so 0.23 - 0.2 counts as 0.03. */
const TOLERANCE_EPSILON = 1e-9;

export function evaluateDistribution(expectation: DistributionExpectation, result: TrafficResult): AssertionResult {
  return checkDistribution(expectation, result.byIdentity[expectation.by]);
}

/** The same check over plain counts (also used by tests). */
export function checkDistribution(expectation: DistributionExpectation, counts: Readonly<Record<string, number>>): AssertionResult {
  const { by, expected, tolerance, confidence } = expectation;
  const name = `distribution by ${by}`;
  const unexpected = Object.keys(counts)
    .filter((k) => !(k in expected) && (counts[k] ?? 0) > 0)
    .sort();
  const names = [...Object.keys(expected), ...unexpected];
  const total = names.reduce((sum, k) => sum + (counts[k] ?? 0), 0);
  const categories: CategoryOutcome[] = names.map((k) => {
    const observed = counts[k] ?? 0;
    const observedShare = total > 0 ? observed / total : 0;
    const expectedShare = expected[k] ?? 0;
    return { name: k, observed, observedShare, expectedShare, deviation: observedShare - expectedShare };
  });
  const expectedText = Object.entries(expected)
    .map(([k, v]) => `${k}=${percent(v)}`)
    .join(" ");

  if (total === 0) {
    return {
      name,
      passed: false,
      message: `${name}: no successful responses to attribute (expected ${expectedText}) — ${verdict(false)}`,
      details: { by, total, categories, expected, tolerance, confidence, test: "none", pValue: null, significant: null },
    };
  }

  const exactness = expectation.exact ?? "none";
  const heldExactly = categories.filter((c) => exactness === "all" || (exactness === "zero-one" && (c.expectedShare === 0 || c.expectedShare === 1)));
  const missed = heldExactly.filter((c) => Math.abs(c.observed - c.expectedShare * total) >= 1);
  if (heldExactly.length > 0 && exactness !== "none") {
    const observedText = categories.map((c) => `${c.name}=${c.observed} (${percent(c.observedShare)})${c.name in expected ? "" : " (not expected)"}`).join(" ");
    const exactText = exactness === "all" ? "every share exact to one response" : `exact where the share is 0 or 100% (${heldExactly.map((c) => c.name).join(", ")})`;
    if (missed.length > 0 || heldExactly.length === categories.length) {
      const passed = missed.length === 0;
      const missText = passed ? "" : `; off: ${missed.map((c) => `${c.name} ${c.observed} instead of ${round(c.expectedShare * total)}`).join(", ")}`;
      return {
        name,
        passed,
        message: `${name}: observed ${observedText}, expected ${expectedText}, ${exactText}${missText} — ${verdict(passed)}`,
        details: { by, total, categories, expected, tolerance, confidence, exact: exactness, test: "none", pValue: null, significant: null, missed: missed.map((c) => c.name) },
      };
    }
  }

  const { test, statistic, df, pValue } = significanceTest(categories);
  const alpha = 1 - confidence;
  const significant = pValue < alpha;
  const worst = categories.reduce((a, b) => (Math.abs(b.deviation) > Math.abs(a.deviation) + 1e-12 ? b : a));
  const maxDeviation = Math.abs(worst.deviation);
  const beyondTolerance = maxDeviation > tolerance + TOLERANCE_EPSILON;
  const passed = !(significant && beyondTolerance);

  const observedText = categories.map((c) => `${c.name}=${c.observed} (${percent(c.observedShare)})${c.name in expected ? "" : " (not expected)"}`).join(" ");
  const testText = test === "none" ? "no test needed (one category)" : `${test} p=${formatP(pValue)}${significant ? ` (significant at ${percent(confidence)})` : ""}`;
  const deviationText = `max deviation ${percent(maxDeviation)}${maxDeviation > 0 ? ` (${worst.name})` : ""} ${beyondTolerance ? ">" : "<="} tolerance ${percent(tolerance)}`;
  return {
    name,
    passed,
    message: `${name}: observed ${observedText}, expected ${expectedText}, ${testText}, ${deviationText} — ${verdict(passed)}`,
    details: {
      by,
      total,
      categories,
      expected,
      tolerance,
      confidence,
      test,
      statistic: Number.isFinite(statistic) ? statistic : null,
      df,
      pValue,
      significant,
      maxDeviation,
      maxDeviationCategory: worst.name,
    },
  };
}

function significanceTest(categories: readonly CategoryOutcome[]): { test: DistributionTest; statistic: number; df: number; pValue: number } {
  const positive = categories.filter((c) => c.expectedShare > 0);
  const df = Math.max(positive.length - 1, 0);
  if (categories.some((c) => c.expectedShare === 0 && c.observed > 0)) {
    return { test: "chi-square", statistic: Infinity, df, pValue: 0 };
  }
  if (positive.length < 2) return { test: "none", statistic: 0, df: 0, pValue: 1 };
  const n = positive.reduce((s, c) => s + c.observed, 0);
  if (positive.length === 2 && n <= EXACT_BINOMIAL_MAX_N) {
    const [a] = positive as [CategoryOutcome, CategoryOutcome];
    return { test: "exact binomial", statistic: a.observed, df: 1, pValue: binomialTwoSided(a.observed, n, a.expectedShare) };
  }
  const r = chiSquareGoodnessOfFit(
    positive.map((c) => c.observed),
    positive.map((c) => c.expectedShare),
  );
  return { test: "chi-square", ...r };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

export function formatP(p: number): string {
  if (p === 0) return "0";
  if (p < 0.001) return p.toExponential(1);
  return p >= 0.1 ? p.toFixed(2) : p.toPrecision(2);
}
