/**
 * The types the normalizer reads (normalize/raw-shape.ts) are derived from the schema; this
 * keeps them honest. The samples are typed, so `tsc` fails when the types stop accepting a
 * valid scenario or start accepting an invalid one (an unused @ts-expect-error), and the
 * same samples go through ajv here, so the schema must agree with the types on each.
 */
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import type { RawExpectation, RawFault, RawScenario, RawService, RawStep, RawTraffic } from "../normalize/raw-shape.ts";
import type { RawResource } from "./resources.ts";
import type { RawRateLimitDescriptor } from "./topology.ts";
import { SCHEMA_FILE } from "../write-schema.ts";
import { type RawScenarioDocument, SCENARIO_SCHEMA } from "./index.ts";

type IsAny<T> = 0 extends 1 & T ? true : false;
/** Compiles only while no derived type has collapsed to `any` (which would accept anything). */
const notAny: [IsAny<RawScenarioDocument>, IsAny<RawStep>, IsAny<NonNullable<RawStep["parallel"]>[number]>, IsAny<RawScenario["topology"]>] = [false, false, false, false];

const step = {
  name: "drive",
  id: "main",
  apply: [{ apiVersion: "networking.istio.io/v1", kind: "DestinationRule", metadata: { name: "hello", namespace: "default" }, spec: {} }, { file: "routes.yaml" }],
  delete: { file: "routes.yaml" },
  fault: [{ kill: "hello-v1-0", signal: "SIGTERM" }, { network: { link: { from: "caller", to: "hello" }, latency: { delay: "10ms", jitter: "2ms", probability: 0.5 }, clear: true } }],
  waitFor: { acked: true, metric: { sidecar: "caller", name: "upstream_rq_total", op: ">=", value: 1, delta: true }, fixture: ["hello-v1-0"], timeout: "10s" },
  sleep: "1s",
  traffic: {
    from: "caller",
    to: "hello",
    call: { method: "sayHello", args: ["meshsim", 1], headers: { tenant: "a" } },
    keys: { header: "user", count: 4 },
    executor: { type: "constant-arrival-rate", rate: "500/s", count: 100, duration: "5s" },
    connections: { mode: "pooled", size: 2 },
    timeout: "2s",
  },
  parallel: [{ sleep: "1s" }, { sequence: [{ sleep: "2s", repeat: { times: 2, every: "1s" } }] }],
  expect: [
    { successRate: 0.99, distribution: { by: "version", expected: { v1: 0.2, v2: 0.8 }, tolerance: 0.05, confidence: 0.99, exact: false } },
    { of: "main", successRate: { min: 0.9 }, thresholds: ["p(99) < 20ms"], errors: { total: 0, timeout: { max: 3 } }, connections: { opened: { min: 1 } } },
    { affinity: true, addedLatency: { over: "baseline", stat: "p(99)", min: "90ms" } },
    { affinity: { sameAs: "earlier", except: ["hello-v1-0"] } },
    { accessLog: { sidecar: "caller", where: { cluster: "outbound|9090|v1|*", retries: 0, mirrored: true }, after: "shift", op: "==", value: 0 } },
    { eventually: { within: "5s", successRate: 1 }, consistently: { for: "2s", of: "main", metric: { service: "hello", version: "v1", name: "received.sayHello", op: ">", value: 0 } } },
  ],
} satisfies RawStep;

const scenario = {
  apiVersion: "meshsim.dev/v1alpha1",
  kind: "Scenario",
  metadata: { name: "sample", tags: ["a"], description: "every section once" },
  topology: {
    services: [
      { name: "hello", namespace: "default", protocol: "thrift", port: 9090, versions: { v1: { replicas: 2 } }, transport: "header", protocolVariant: "compact" },
      { name: "db", protocol: "redis", port: 6379, redis: { mode: "replicated", password: "x" } },
      { name: "bus", protocol: "kafka", port: 9092, kafka: { brokers: 3 } },
      { name: "rpc", protocol: "dubbo", port: 20880, dubbo: { provider: "java" } },
    ],
    dataPlane: "envoy",
    clients: [{ name: "caller", protocol: "thrift", sidecar: true, dataPlane: "meshsim" }],
    backend: "processes",
    rateLimitService: {
      name: "ratelimit",
      port: 8081,
      domain: "meshsim",
      descriptors: [{ key: "method", value: "sayHello", rate_limit: { unit: "second", requests_per_unit: 5 }, descriptors: [{ key: "user" }] }],
    },
  },
  vars: { rate: "500/s", count: 10, verbose: true },
  resources: [{ file: "service.yaml" }],
  steps: [step, { name: "baseline", sleep: "1s" }],
} satisfies RawScenarioDocument;

// Values the schema rejects, each typed as the part of the scenario it belongs to.
// @ts-expect-error an executor type the schema does not list
const rampingExecutor: RawTraffic["executor"] = { type: "ramping" };
// @ts-expect-error an unknown field of a nested step
const misspeltChild: RawStep = { parallel: [{ sequence: [{ slep: "1s" }] }] };
// @ts-expect-error a share given as text
const textualShare: RawExpectation = { successRate: "high" };
// @ts-expect-error kafka runs 1 or 3 brokers
const twoBrokers: RawService = { name: "bus", protocol: "kafka", port: 9092, kafka: { brokers: 2 } };
// @ts-expect-error clear is true or absent
const clearFalse: RawFault = { network: { link: { to: "hello" }, clear: false } };
// @ts-expect-error a descriptor needs its key, however deep
const keylessDescriptor: RawRateLimitDescriptor = { key: "a", descriptors: [{ value: "b" }] };
// @ts-expect-error a resource is {file} or a whole inline object
const partialResource: RawResource = { kind: "Service" };
// @ts-expect-error template variables are scalars
const listVar: RawScenarioDocument["vars"] = { list: [1, 2] };

const withStep = (value: object) => ({ ...scenario, steps: [value] });
const withTopology = (value: object) => ({ ...scenario, topology: { ...scenario.topology, ...value } });
const invalid: Array<[name: string, pointer: string, value: unknown]> = [
  ["executor type", "/steps/0/traffic/executor/type", withStep({ traffic: { ...step.traffic, executor: rampingExecutor } })],
  ["nested step field", "/steps/0/parallel/0/sequence/0", withStep(misspeltChild)],
  ["successRate", "/steps/0/expect/0/successRate", withStep({ ...step, expect: [textualShare] })],
  ["brokers", "/topology/services/0/kafka/brokers", withTopology({ services: [twoBrokers] })],
  ["clear", "/steps/0/fault/network/clear", withStep({ fault: clearFalse })],
  ["descriptor key", "/topology/rateLimitService/descriptors/0/descriptors/0", withTopology({ rateLimitService: { domain: "d", descriptors: [keylessDescriptor] } })],
  ["resource", "/resources/0", { ...scenario, resources: [partialResource] }],
  ["vars", "/vars/list", { ...scenario, vars: listVar }],
];

describe("scenario schema and the types derived from it", () => {
  const validate = new Ajv({ strict: true, allowUnionTypes: true, allErrors: true }).compile(SCENARIO_SCHEMA);

  it("derives real types (none collapsed to any)", () => {
    expect(notAny).toEqual([false, false, false, false]);
  });

  it("accepts the sample the types accept", () => {
    expect(validate(scenario) ? [] : validate.errors).toEqual([]);
  });

  it.each(invalid)("rejects what the types reject: %s, at %s", (_, pointer, value) => {
    expect(validate(value)).toBe(false);
    // Only there (an if/then also reports on the enclosing value).
    const paths = (validate.errors ?? []).map((e) => e.instancePath);
    expect(paths).toContain(pointer);
    for (const path of paths) expect(pointer.startsWith(path), path).toBe(true);
  });

  it("is plain JSON Schema: the file for editors, without TypeBox's symbols, judges the samples alike", () => {
    const text = readFileSync(SCHEMA_FILE, "utf8");
    expect(text).not.toContain("TypeBox");
    const fromFile = new Ajv({ strict: true, allowUnionTypes: true }).compile(JSON.parse(text));
    expect(fromFile(scenario)).toBe(true);
    for (const [, value] of invalid) expect(fromFile(value)).toBe(false);
  });
});
