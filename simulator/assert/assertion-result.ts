/** The outcome of one expectation, as reports show it. */
export interface AssertionResult {
  /** e.g. "distribution by version", "success rate", "thresholds p(99) < 20ms". */
  name: string;
  passed: boolean;
  /** One readable line of what was seen and why it passed or failed. */
  message: string;
  /** Machine-readable numbers behind the message (JSON-serializable). */
  details: Record<string, unknown>;
  /**
   * Why this expectation was not checked on this run's data plane (a counter only meshsim's proxy
   * keeps, read from an Envoy sidecar). Such a result does not fail the step; reports show it.
   */
  notApplicable?: string;
}

export function verdict(passed: boolean): string {
  return passed ? "pass" : "FAIL";
}

export function percent(share: number, digits = 1): string {
  if (!Number.isFinite(share)) return String(share);
  const p = share * 100;
  return `${Number.isInteger(p) ? p.toFixed(0) : p.toFixed(digits)}%`;
}
