/** One entry point for reports and the runner: a traffic assertion against what a traffic step observed. */
import type { TrafficAssertion } from "../scenario/types.ts";
import type { TrafficResult } from "../traffic/traffic-result.ts";
import type { AssertionResult } from "./assertion-result.ts";
import { evaluateAffinity } from "./affinity.ts";
import { evaluateConnections } from "./connections.ts";
import { evaluateDistribution } from "./distribution.ts";
import { evaluateErrors } from "./errors.ts";
import { evaluateSuccessRate } from "./success-rate.ts";
import { evaluateThresholds } from "./thresholds.ts";

/** `earlier` finds the traffic of a previous top-level step, for checks that compare with one (`affinity` with `sameAs`). */
export function evaluateExpectation(expectation: TrafficAssertion, result: TrafficResult, earlier?: (step: string) => TrafficResult | undefined): AssertionResult {
  switch (expectation.kind) {
    case "successRate":
      return evaluateSuccessRate(expectation.min, result);
    case "distribution":
      return evaluateDistribution(expectation, result);
    case "thresholds":
      return evaluateThresholds(expectation.thresholds, result);
    case "errors":
      return evaluateErrors(expectation.counts, result);
    case "connections":
      return evaluateConnections(expectation.counts, result);
    case "affinity":
      return evaluateAffinity(expectation, result, expectation.sameAs !== undefined ? earlier?.(expectation.sameAs) : undefined);
  }
}
