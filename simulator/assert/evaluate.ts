/** One entry point for reports and the runner: a traffic assertion against what a traffic step observed. */
import type { TrafficAssertion } from "../scenario/types.ts";
import type { TrafficResult } from "../traffic/traffic-result.ts";
import type { AssertionResult } from "./assertion-result.ts";
import { evaluateConnections } from "./connections.ts";
import { evaluateDistribution } from "./distribution.ts";
import { evaluateErrors } from "./errors.ts";
import { evaluateSuccessRate } from "./success-rate.ts";
import { evaluateThresholds } from "./thresholds.ts";

export function evaluateExpectation(expectation: TrafficAssertion, result: TrafficResult): AssertionResult {
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
  }
}
