import type { Static } from "@sinclair/typebox";
import type { SourceDocument } from "../../../common/yaml-source.ts";
import type { TemplateScope } from "../template.ts";
import type { RawScenarioDocument } from "../schema/index.ts";
import type { expectation } from "../schema/assertions.ts";
import type { fault } from "../schema/faults.ts";
import type { client, service } from "../schema/topology.ts";
import type { traffic } from "../schema/traffic.ts";

/** Shapes as the schema guarantees them, before defaults: derived from the schema, not restated. */
export type { RawStep } from "../schema/steps.ts";
export type RawService = Static<typeof service>;
export type RawClient = Static<typeof client>;
export type RawTraffic = Static<typeof traffic>;
export type RawExpectation = Static<typeof expectation>;
/** What one assertion may hold: an expectation's own or one wrapped in eventually/consistently. */
export type RawAssertions = Omit<RawExpectation, "of" | "eventually" | "consistently">;
export type RawCount = NonNullable<RawAssertions["errors"]>[string];
export type RawMetric = NonNullable<RawAssertions["metric"]>;
export type RawAccessLog = NonNullable<RawAssertions["accessLog"]>;
export type RawFault = Static<typeof fault>;
/** The scenario as the normalizer reads it (apiVersion and kind are the loader's concern). */
export type RawScenario = Omit<RawScenarioDocument, "apiVersion" | "kind">;

export const SHARE_SUM_SLACK = 0.01;
export const ASSERTION_KEYS = ["successRate", "distribution", "thresholds", "errors", "connections", "metric", "affinity", "addedLatency", "accessLog"] as const;
/** Judged over a whole traffic action against an earlier step's: not per second. */
export const WHOLE_TRAFFIC_KEYS: ReadonlyArray<(typeof ASSERTION_KEYS)[number]> = ["affinity", "addedLatency"];
/** What eventually and consistently wrap: accessLog counts the whole step's requests too (the schema keeps it out). */
export const TEMPORAL_KEYS = ASSERTION_KEYS.filter((k) => !WHOLE_TRAFFIC_KEYS.includes(k) && k !== "accessLog");

export interface NormalizeInput {
  doc: SourceDocument;
  file: string;
  text: string;
  /** `vars:` merged with the caller's overrides. */
  scope: TemplateScope;
  resourceName: string;
  /** The document with its templates rendered once, as the schema checked it (repeat bodies with i = 1). */
  rendered: unknown;
}
