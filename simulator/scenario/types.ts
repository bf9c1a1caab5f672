/**
 * The normalized scenario: what `loadScenario` returns after validation, with includes
 * resolved, durations and rates converted to numbers and defaults filled in.
 */
import type { FieldPath } from "../../common/yaml-source.ts";
import type { Threshold, ThresholdStat } from "../assert/thresholds.ts";
import type { BackendName } from "../runtime/backend.ts";
import type { RateLimitServiceConfig } from "../../fixtures/ratelimit/ratelimit-service.ts";

export const SCENARIO_API_VERSION = "meshsim.dev/v1alpha1";
/** A protocol registered in simulator/protocols/registry.ts. */
export type Protocol = string;

export const DEFAULTS = {
  namespace: "default",
  replicas: 1,
  sidecar: true,
  waitForTimeoutMs: 10_000,
  /** Stated in docs/scenarios.md; with fail fast one lost reply costs a scenario one timeout. */
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
  /** The scenario file's text, as written (reports show it). */
  text: string;
  /** Template variables after `--var` overrides. */
  vars: Record<string, string | number | boolean>;
  metadata: { name: string; tags: string[]; description?: string };
  topology: Topology;
  /** Applied before the first step. */
  resources: ScenarioResource[];
  steps: Step[];
}

export interface Topology {
  services: ServiceSpec[];
  clients: ClientSpec[];
  /** The sidecar for clients that do not name their own (default meshsim). */
  dataPlane?: DataPlane;
  /** What runs the topology, unless `--backend` or MESHSIM_BACKEND says otherwise. */
  backend?: BackendName;
  /** Envoy's reference rate-limit service, for MetaRouter `globalRateLimit`. */
  rateLimitService?: RateLimitServiceSpec;
}

/**
 * Envoy's reference rate-limit service (github.com/envoyproxy/ratelimit) as a part of the
 * topology, with its configuration; a ServiceEntry makes it the cluster
 * `outbound|<port>||<host>` that a MetaRouter's `globalRateLimit.rateLimitService` names.
 */
export interface RateLimitServiceSpec {
  name: string;
  namespace: string;
  host: string;
  port: number;
  /** The service's own configuration (its YAML field names). */
  config: RateLimitServiceConfig;
  source: SourceRef;
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
  /** Redis: which real redis-server deployment plays the service (default single), and its password. */
  redis?: { mode: "single" | "replicated" | "cluster"; password?: string };
  /** Kafka: how many brokers play the service (default 1); broker n is port + n - 1. */
  kafka?: { brokers: 1 | 3 };
  /** Dubbo: which provider plays each instance: meshsim's TypeScript one (default) or the Java reference provider. */
  dubbo?: { provider: DubboProvider };
  source: SourceRef;
}

export const DUBBO_PROVIDERS = ["meshsim", "java"] as const;
export type DubboProvider = (typeof DUBBO_PROVIDERS)[number];

export const DATA_PLANES = ["meshsim", "envoy"] as const;
export type DataPlane = (typeof DATA_PLANES)[number];

export interface ClientSpec {
  name: string;
  namespace: string;
  protocol: Protocol;
  sidecar: boolean;
  /** The client's own choice of sidecar, when it made one (else the run's data plane). */
  dataPlane?: DataPlane;
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

export type StepAction = "apply" | "delete" | "fault" | "waitFor" | "sleep" | "traffic" | "parallel" | "sequence" | "repeat";

/** The order a step's own actions run in. */
export const ACTION_ORDER: readonly StepAction[] = ["apply", "delete", "fault", "waitFor", "sleep", "traffic", "parallel", "sequence", "repeat"];

export interface Step {
  name: string;
  /** Names this branch for `of:` in expectations; traffic inside carries it as `TrafficResult.id`. */
  id?: string;
  /** The actions present, in the order they run (ACTION_ORDER). `repeat` replaces the others: its iterations hold them. */
  actions: StepAction[];
  apply: ScenarioResource[];
  delete: ScenarioResource[];
  fault?: FaultSpec[];
  waitFor?: WaitForSpec;
  sleepMs?: number;
  traffic?: TrafficSpec;
  /** Branches run at the same time; the step ends when all have. */
  parallel?: Step[];
  /** Child steps run one after the other. */
  sequence?: Step[];
  /** The step body once per `i` = 1..times, `everyMs` apart (start to start); each iteration rendered with its `i`. */
  repeat?: { times: number; everyMs: number; iterations: Step[] };
  expect: Expectation[];
  source: SourceRef;
}

/** Exactly one of `sidecar` and `service` says whose counters a metric reads. */
export interface MetricCondition {
  /** A client with a sidecar; its admin `/stats` is read. */
  sidecar?: string;
  /** A service whose instances report their own counters (`received.<method>`), summed; `version` narrows it to one subset. */
  service?: string;
  version?: string;
  /** With `service`: only this instance (e.g. the replica of a replicated Redis service, `db-v1-1`). */
  instance?: string;
  /** Counter name; `*` matches any run of characters and matching counters are summed. */
  name: string;
  op: ComparisonOp;
  value: number;
  /** Compare the increase since the step started instead of the absolute value. */
  delta: boolean;
}

export type ComparisonOp = "<" | "<=" | ">" | ">=" | "==" | "!=";

/** Counts a sidecar's access log lines that match `where`, among the requests of the step. */
export interface AccessLogCondition {
  /** A client with a sidecar. */
  sidecar: string;
  /** Line field (`cluster`, `route`, `outcome`; `metadata.method` for metadata) → value; `*` matches any run of characters. */
  where: Record<string, string>;
  /** Only requests decoded after this step (inside the expectation's step) finished. */
  after?: string;
  op: ComparisonOp;
  value: number;
}

export interface WaitForSpec {
  acked: boolean;
  metric?: MetricCondition;
  /** Instance names (e.g. hello-v1-0) whose port must accept connections. */
  fixtures: string[];
  timeoutMs: number;
}

/** Network faults on one link, each with a probability; `clear` switches the link back to clean. */
export interface NetworkFault {
  latency?: { delayMs: number; jitterMs: number; probability: number };
  reset?: { probability: number };
  blackhole?: { probability: number };
  bandwidth?: { bytesPerSecond: number; probability: number };
  slice?: { bytes: number; delayMs: number; probability: number };
}

/**
 * A link the process backend can put a TCP fault proxy on:
 * - `{kind: "upstream", target}`: every connection into an instance (`target` is an instance, or a
 *   service meaning all its instances) — from any sidecar, or from a client without one;
 * - `{kind: "client", client}`: from the client application to its sidecar.
 */
export type LinkSpec = { kind: "upstream"; target: string; instances: string[] } | { kind: "client"; client: string };

export type FaultSpec =
  | { kind: "kill"; instance: string; signal: "SIGKILL" | "SIGTERM" }
  | { kind: "pause" | "unpause"; instance: string }
  | { kind: "restart"; instance: string }
  | { kind: "network"; link: LinkSpec; fault: NetworkFault | null };

export interface TrafficSpec {
  /** A client name from topology.clients. */
  from: string;
  /** The service name from topology.services. */
  to: string;
  /** The resolved target service. */
  service: ServiceSpec;
  call?: { method: string; args: unknown[]; headers: Record<string, string> };
  /** Request n carries header `header: key-<n mod count>`, and responses are recorded per key (for `affinity`). */
  keys?: TrafficKeys;
  executor: ExecutorSpec;
  connections: ConnectionsSpec;
  /** Per-request timeout. */
  timeoutMs: number;
}

export interface TrafficKeys {
  header: string;
  count: number;
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

export interface CountRange {
  min: number;
  max?: number;
}

/** What every expectation carries: where it was written and which traffic it reads. */
interface ExpectationBase {
  source: SourceRef;
  /** The `id` of a parallel branch whose traffic to check; absent: the step's only traffic. */
  of?: string;
}

export type Assertion =
  | { kind: "successRate"; min: number }
  | {
      kind: "distribution";
      by: DistributionKey;
      /** Shares summing to 1. */
      expected: Record<string, number>;
      tolerance: number;
      confidence: number;
      /** Categories held to their exact share: all (round robin), those expected at 0 or 1, or none (absent). */
      exact?: "all" | "zero-one" | "none";
    }
  | { kind: "thresholds"; thresholds: Threshold[] }
  | {
      kind: "errors";
      /** Error kind (or `total`) to the allowed count range (max absent: unbounded); a bare count in YAML means exactly that. */
      counts: Record<string, CountRange>;
    }
  | { kind: "connections"; counts: Partial<Record<"opened" | "closedByPeer" | "resets", CountRange>> }
  | { kind: "metric"; metric: MetricCondition }
  | {
      kind: "addedLatency";
      /** A top-level step before this one, with one traffic action: the baseline measured in the same run. */
      over: string;
      stat: Exclude<ThresholdStat, "rate">;
      /** Bounds on (this traffic's stat − the baseline's), in milliseconds; at least one is set. */
      minMs?: number;
      maxMs?: number;
    }
  | {
      kind: "affinity";
      /** A top-level step before this one whose keyed traffic each key must stay with... */
      sameAs?: string;
      /** ...unless that step's instance for the key is one of these (it left). */
      except: string[];
    }
  | { kind: "accessLog"; accessLog: AccessLogCondition };

/** An assertion that reads traffic (everything but `metric` and `accessLog`, which read the sidecar). */
export type TrafficAssertion = Exclude<Assertion, { kind: "metric" } | { kind: "accessLog" }>;

export type Expectation =
  | (Assertion & ExpectationBase)
  | (ExpectationBase & { kind: "eventually"; withinMs: number; inner: Assertion })
  | (ExpectationBase & { kind: "consistently"; forMs?: number; inner: Assertion });

export type ExpectationKind = Expectation["kind"];
