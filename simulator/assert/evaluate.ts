/** One entry point for reports and the runner: a traffic assertion against what a traffic step observed. */
import type { TrafficAssertion } from "../scenario/types.ts";
import type { TrafficResult } from "../traffic/traffic-result.ts";
import type { AssertionResult } from "./assertion-result.ts";
import { evaluateAffinity } from "./affinity.ts";
import { evaluateAddedLatency } from "./added-latency.ts";
import { evaluateConnections } from "./connections.ts";
import { evaluateDistribution } from "./distribution.ts";
import { evaluateErrors } from "./errors.ts";
import { evaluateSuccessRate } from "./success-rate.ts";
import { evaluateThresholds } from "./thresholds.ts";

/** `earlier` lists the traffic of a previous top-level step, for checks that compare with one (`affinity` with `sameAs`, `addedLatency`). */
export function evaluateExpectation(expectation: TrafficAssertion, result: TrafficResult, earlier?: (step: string) => readonly TrafficResult[]): AssertionResult {
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
      return evaluateAffinity(
        expectation,
        result,
        expectation.sameAs !== undefined
          ? earlier?.(expectation.sameAs)
              .filter((t) => t.byKey !== undefined)
              .pop()
          : undefined,
      );
    case "addedLatency":
      return evaluateAddedLatency(expectation, result, earlier?.(expectation.over).at(-1));
  }
}
