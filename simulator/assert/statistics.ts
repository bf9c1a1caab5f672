/**
 * The few distributions the assertions need, implemented here to keep the test auditable:
 * chi-square survival via the regularized upper incomplete gamma function Q(a, x)
 * (series / continued fraction as in Numerical Recipes §6.2) and the exact two-sided
 * binomial test.
 */

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7; ~15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0] as number;
  for (let i = 1; i < LANCZOS.length; i++) sum += (LANCZOS[i] as number) / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const EPS = 1e-15;
const MAX_ITERATIONS = 10_000;

/** Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a). */
export function regularizedGammaQ(a: number, x: number): number {
  if (a <= 0) throw new RangeError(`a must be positive, got ${a}`);
  if (x <= 0) return 1;
  if (!Number.isFinite(x)) return 0;
  return x < a + 1 ? 1 - lowerSeries(a, x) : upperContinuedFraction(a, x);
}

/** P(a, x) by its power series; converges quickly for x < a + 1. */
function lowerSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPS) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
}

/** Q(a, x) by its continued fraction (modified Lentz); converges quickly for x >= a + 1. */
function upperContinuedFraction(a: number, x: number): number {
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

/** P(X >= statistic) for X ~ chi-square with `df` degrees of freedom. */
export function chiSquareSurvival(statistic: number, df: number): number {
  if (df <= 0) throw new RangeError(`degrees of freedom must be positive, got ${df}`);
  return regularizedGammaQ(df / 2, statistic / 2);
}

export interface ChiSquareResult {
  statistic: number;
  df: number;
  pValue: number;
}

/** Pearson's goodness-of-fit test; every expected share must be positive. */
export function chiSquareGoodnessOfFit(observed: readonly number[], expectedShares: readonly number[]): ChiSquareResult {
  const n = observed.reduce((a, b) => a + b, 0);
  let statistic = 0;
  observed.forEach((o, i) => {
    const e = n * (expectedShares[i] as number);
    statistic += ((o - e) * (o - e)) / e;
  });
  const df = observed.length - 1;
  return { statistic, df, pValue: chiSquareSurvival(statistic, df) };
}

function logBinomialPmf(k: number, n: number, p: number): number {
  if (p === 0) return k === 0 ? 0 : -Infinity;
  if (p === 1) return k === n ? 0 : -Infinity;
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log(1 - p);
}

/**
 * Exact two-sided binomial test (the "minimum likelihood" method R's binom.test uses):
 * the probability of outcomes no more likely than the observed one.
 */
export function binomialTwoSided(k: number, n: number, p: number): number {
  if (p === 0 || p === 1) return (p === 0 ? k === 0 : k === n) ? 1 : 0;
  const observed = logBinomialPmf(k, n, p);
  const slack = 1e-7;
  // log P(i) by the recurrence P(i+1) = P(i) (n - i) / (i + 1) * p / (1 - p): O(n) without a logGamma per term.
  const logOdds = Math.log(p) - Math.log(1 - p);
  let l = n * Math.log(1 - p);
  let total = 0;
  for (let i = 0; i <= n; i++) {
    if (l <= observed + slack) total += Math.exp(l);
    l += Math.log((n - i) / (i + 1)) + logOdds;
  }
  return Math.min(1, total);
}
