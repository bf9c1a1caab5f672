export type { AssertionResult } from "./assertion-result.ts";
export { evaluateExpectation } from "./evaluate.ts";
export { checkDistribution, evaluateDistribution, type DistributionExpectation } from "./distribution.ts";
export { evaluateSuccessRate } from "./success-rate.ts";
export { evaluateThresholds, parseThreshold, ThresholdSyntaxError, type Threshold } from "./thresholds.ts";
export { evaluateErrors, countErrors } from "./errors.ts";
export { chiSquareSurvival, binomialTwoSided } from "./statistics.ts";
