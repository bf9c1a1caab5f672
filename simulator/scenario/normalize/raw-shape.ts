import type { SourceDocument } from "../../../common/yaml-source.ts";
import type { TemplateScope, TemplateValue } from "../template.ts";
import type { BackendName } from "../../runtime/backend.ts";
import type { RateLimitServiceConfig } from "../../../fixtures/ratelimit/ratelimit-service.ts";
import type { ComparisonOp, ConnectionsSpec, ExecutorSpec, Protocol, DataPlane, DubboProvider } from "../types.ts";
/** Shapes as the schema guarantees them, before defaults. */
export interface RawService {
  name: string;
  namespace?: string;
  protocol: Protocol;
  port: number;
  versions?: Record<string, { replicas?: number }>;
  transport?: string;
  protocolVariant?: string;
  redis?: { mode?: "single" | "replicated" | "cluster"; password?: string };
  kafka?: { brokers?: 1 | 3 };
  dubbo?: { provider?: DubboProvider };
}
export interface RawClient {
  name: string;
  namespace?: string;
  protocol: Protocol;
  sidecar?: boolean;
  dataPlane?: DataPlane;
}
export interface RawTraffic {
  from: string;
  to: string;
  call?: { method: string; args?: unknown[]; headers?: Record<string, string> };
  keys?: { header: string; count: number };
  executor: { type: ExecutorSpec["type"]; rate?: string | number; count?: number; duration?: string; concurrency?: number };
  connections?: { mode?: ConnectionsSpec["mode"]; size?: number };
  timeout?: string;
}
export type RawCount = number | { min?: number; max?: number };
export interface RawMetric {
  sidecar?: string;
  service?: string;
  version?: string;
  instance?: string;
  name: string;
  op: ComparisonOp;
  value: number;
  delta?: boolean;
}
export interface RawAccessLog {
  sidecar: string;
  where?: Record<string, string>;
  after?: string;
  op: ComparisonOp;
  value: number;
}
export interface RawAssertions {
  successRate?: number | { min: number };
  distribution?: { by: "version" | "instance" | "service"; expected: Record<string, number>; tolerance?: number; confidence?: number; exact?: boolean };
  thresholds?: string[];
  errors?: Record<string, RawCount>;
  connections?: Record<"opened" | "closedByPeer" | "resets", RawCount>;
  metric?: RawMetric;
  affinity?: true | { sameAs?: string; except?: string[] };
  addedLatency?: { over: string; stat?: string; min?: string; max?: string };
  accessLog?: RawAccessLog;
}
export interface RawExpectation extends RawAssertions {
  of?: string;
  eventually?: RawAssertions & { within: string; of?: string };
  consistently?: RawAssertions & { for?: string; of?: string };
}
export interface RawNetworkFault {
  link: { from?: string; to: string };
  latency?: { delay: string; jitter?: string; probability?: number };
  reset?: { probability?: number };
  blackhole?: { probability?: number };
  bandwidth?: { rate: string; probability?: number };
  slice?: { bytes: number; delay?: string; probability?: number };
  clear?: true;
}
export interface RawFault {
  kill?: string;
  signal?: "SIGKILL" | "SIGTERM";
  restart?: string;
  pause?: string;
  unpause?: string;
  network?: RawNetworkFault;
}
export interface RawStep {
  name?: string;
  id?: string;
  apply?: unknown;
  delete?: unknown;
  fault?: RawFault | RawFault[];
  waitFor?: { acked?: boolean; metric?: RawMetric; fixture?: string | string[]; timeout?: string };
  sleep?: string;
  traffic?: RawTraffic;
  parallel?: RawStep[];
  sequence?: RawStep[];
  repeat?: { times: number; every?: string };
  expect?: RawExpectation[];
}
export interface RawScenario {
  metadata: { name: string; tags?: string[]; description?: string };
  vars?: Record<string, TemplateValue>;
  topology: {
    services: RawService[];
    clients?: RawClient[];
    dataPlane?: DataPlane;
    backend?: BackendName;
    rateLimitService?: { name?: string; namespace?: string; port?: number; domain: string; descriptors: RateLimitServiceConfig["descriptors"] };
  };
  resources?: unknown;
  steps: RawStep[];
}

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
