/**
 * The normalized scenario: what `loadScenario` returns after validation, with includes
 * resolved, durations and rates converted to numbers and defaults filled in.
 */
import type { FieldPath } from "../../common/yaml-source.ts";
import type { Threshold } from "../assert/thresholds.ts";

export const SCENARIO_API_VERSION = "meshsim.dev/v1alpha1";
export const PROTOCOLS = ["thrift", "dubbo", "redis", "kafka"] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const DEFAULTS = {
  namespace: "default",
  replicas: 1,
  sidecar: true,
  waitForTimeoutMs: 10_000,
  requestTimeoutMs: 5_000,
  connections: { mode: "pooled", size: 4 },
  tolerance: 0.03,
  confidence: 0.999,
  thrift: { transport: "framed", protocolVariant: "binary" },
} as const;

/** Where something was written, so later checks can point at it. */
export interface SourceRef {
  file: string;
  line: number;
  column: number;
}

export interface Scenario {
  apiVersion: typeof SCENARIO_API_VERSION;
  kind: "Scenario";
  /** The scenario file as given to `loadScenario`. */
  file: string;
  metadata: { name: string; tags: string[]; description?: string };
  topology: Topology;
  /** Applied before the first step. */
  resources: ScenarioResource[];
  steps: Step[];
}

export interface Topology {
  services: ServiceSpec[];
  clients: ClientSpec[];
}

export interface ServiceSpec {
  name: string;
  namespace: string;
  /** `<name>.<namespace>.svc.cluster.local` */
  host: string;
  protocol: Protocol;
  port: number;
  /** Version label to replica count, in the order written. */
  versions: Record<string, { replicas: number }>;
  /** Thrift: framed | unframed | header (default framed). */
  transport?: string;
  /** Thrift: binary | compact (default binary). */
  protocolVariant?: string;
  source: SourceRef;
}

export interface ClientSpec {
  name: string;
  namespace: string;
  protocol: Protocol;
  sidecar: boolean;
  source: SourceRef;
}

/**
 * A Kubernetes-style object written inline or read from a `file:` include. `locate`
 * maps a path inside the object (e.g. `["spec", "routes", 0]`) to the file position,
 * so resource validation can report file:line for the exact field.
 */
export interface ScenarioResource {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  object: Record<string, unknown>;
  source: SourceRef & { locate(path: FieldPath): { line: number; column: number } };
}

export type StepAction = "apply" | "delete" | "waitFor" | "sleep" | "traffic";

export interface Step {
  name: string;
  /** The actions present, in the order they run: apply, delete, waitFor, sleep, traffic. */
  actions: StepAction[];
  apply: ScenarioResource[];
  delete: ScenarioResource[];
  waitFor?: { acked: boolean; timeoutMs: number };
  sleepMs?: number;
  traffic?: TrafficSpec;
  expect: Expectation[];
  source: SourceRef;
}

export interface TrafficSpec {
  /** A client name from topology.clients. */
  from: string;
  /** The service name from topology.services. */
  to: string;
  /** The resolved target service. */
  service: ServiceSpec;
  call?: { method: string; args: unknown[]; headers: Record<string, string> };
  executor: ExecutorSpec;
  connections: ConnectionsSpec;
  /** Per-request timeout. */
  timeoutMs: number;
}

/** Stops at `count` requests or after `durationMs`, whichever comes first; at least one is set. */
export type ExecutorSpec =
  | { type: "constant-arrival-rate"; ratePerSecond: number; count?: number; durationMs?: number }
  | { type: "constant-concurrency"; concurrency: number; count?: number; durationMs?: number };

export type ConnectionMode = "per-request" | "pooled" | "long-lived";

/**
 * pooled: up to `size` connections reused across requests; long-lived: `size` connections
 * opened at the start and held for the whole step; per-request: a new connection per
 * request (`size` is 1 and unused).
 */
export interface ConnectionsSpec {
  mode: ConnectionMode;
  size: number;
}

export type DistributionKey = "version" | "instance" | "service";

export type Expectation =
  | { kind: "successRate"; min: number; source: SourceRef }
  | {
      kind: "distribution";
      by: DistributionKey;
      /** Shares summing to 1. */
      expected: Record<string, number>;
      tolerance: number;
      confidence: number;
      source: SourceRef;
    }
  | { kind: "thresholds"; thresholds: Threshold[]; source: SourceRef }
  | {
      kind: "errors";
      /** Error kind (or `total`) to the allowed count range (max absent: unbounded); a bare count in YAML means exactly that. */
      counts: Record<string, { min: number; max?: number }>;
      source: SourceRef;
    };

export type ExpectationKind = Expectation["kind"];
