/**
 * From a schema-valid scenario document to the normalized `Scenario`: defaults, units,
 * resolved references, and the cross-field checks a JSON Schema cannot express well.
 */
import { ACCESS_LOG_FIELDS } from "../assert/access-log.ts";
import type { InputProblem } from "../../common/errors.ts";
import { formatPath, type FieldPath, type SourceDocument } from "../../common/yaml-source.ts";
import { parseLatencyStat, parseThreshold, ThresholdSyntaxError, type Threshold, type ThresholdStat } from "../assert/thresholds.ts";
import { resolveResourceList } from "./includes.ts";
import { renderValue, type TemplateScope, type TemplateValue } from "./template.ts";
import { instanceName, kafkaBrokerInstance } from "../topology/topology.ts";
import type { BackendName } from "../runtime/backend.ts";
import { closest } from "./suggest.ts";
import type { RateLimitServiceConfig } from "../../fixtures/ratelimit/ratelimit-service.ts";
import { vacuousCheck } from "./vacuous-checks.ts";
import {
  ACTION_ORDER,
  DEFAULTS,
  SCENARIO_API_VERSION,
  type Assertion,
  type ComparisonOp,
  type CountRange,
  type FaultSpec,
  type LinkSpec,
  type MetricCondition,
  type AccessLogCondition,
  type NetworkFault,
  type WaitForSpec,
  type ClientSpec,
  type ConnectionsSpec,
  type ExecutorSpec,
  type Expectation,
  type Protocol,
  type Scenario,
  type RateLimitServiceSpec,
  type ServiceSpec,
  type SourceRef,
  type Step,
  type StepAction,
  type TrafficSpec,
  type DataPlane,
  type DubboProvider,
} from "./types.ts";
import { parseBandwidth, parseDuration, parseRate } from "./units.ts";
import { PROTOCOL_NAMES, simulatorProtocol } from "../protocols/registry.ts";

/** Shapes as the schema guarantees them, before defaults. */
interface RawService {
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
interface RawClient {
  name: string;
  namespace?: string;
  protocol: Protocol;
  sidecar?: boolean;
  dataPlane?: DataPlane;
}
interface RawTraffic {
  from: string;
  to: string;
  call?: { method: string; args?: unknown[]; headers?: Record<string, string> };
  keys?: { header: string; count: number };
  executor: { type: ExecutorSpec["type"]; rate?: string | number; count?: number; duration?: string; concurrency?: number };
  connections?: { mode?: ConnectionsSpec["mode"]; size?: number };
  timeout?: string;
}
type RawCount = number | { min?: number; max?: number };
interface RawMetric {
  sidecar?: string;
  service?: string;
  version?: string;
  instance?: string;
  name: string;
  op: ComparisonOp;
  value: number;
  delta?: boolean;
}
interface RawAccessLog {
  sidecar: string;
  where?: Record<string, string>;
  after?: string;
  op: ComparisonOp;
  value: number;
}
interface RawAssertions {
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
interface RawExpectation extends RawAssertions {
  of?: string;
  eventually?: RawAssertions & { within: string; of?: string };
  consistently?: RawAssertions & { for?: string; of?: string };
}
interface RawNetworkFault {
  link: { from?: string; to: string };
  latency?: { delay: string; jitter?: string; probability?: number };
  reset?: { probability?: number };
  blackhole?: { probability?: number };
  bandwidth?: { rate: string; probability?: number };
  slice?: { bytes: number; delay?: string; probability?: number };
  clear?: true;
}
interface RawFault {
  kill?: string;
  signal?: "SIGKILL" | "SIGTERM";
  restart?: string;
  pause?: string;
  unpause?: string;
  network?: RawNetworkFault;
}
interface RawStep {
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
interface RawScenario {
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

const SHARE_SUM_SLACK = 0.01;
const ASSERTION_KEYS = ["successRate", "distribution", "thresholds", "errors", "connections", "metric", "affinity", "addedLatency", "accessLog"] as const;
/** Judged over a whole traffic action against an earlier step's: not per second. */
const WHOLE_TRAFFIC_KEYS: ReadonlyArray<(typeof ASSERTION_KEYS)[number]> = ["affinity", "addedLatency"];
/** What eventually and consistently wrap: accessLog counts the whole step's requests too (the schema keeps it out). */
const TEMPORAL_KEYS = ASSERTION_KEYS.filter((k) => !WHOLE_TRAFFIC_KEYS.includes(k) && k !== "accessLog");

export interface NormalizeInput {
  doc: SourceDocument;
  file: string;
  text: string;
  /** `vars:` merged with the caller's overrides. */
  scope: TemplateScope;
  resourceName: string;
}

export async function normalizeScenario(input: NormalizeInput, problems: InputProblem[]): Promise<Scenario> {
  const { doc, file, scope, resourceName } = input;
  const original = doc.value as RawScenario;
  const at = (path: FieldPath): SourceRef => ({ file: doc.file, ...doc.locate(path) });
  const problem = (path: FieldPath, message: string) => {
    const { line, column } = doc.locate(path);
    problems.push({ file: doc.file, line, column, resource: resourceName, path: formatPath(path), message });
  };
  const render = <T>(value: T, path: FieldPath, withScope: TemplateScope = scope): T => renderValue(value, withScope, (p, message) => problem([...path, ...p], message)) as T;
  const duration = (path: FieldPath, text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    try {
      return parseDuration(text);
    } catch (err) {
      problem(path, (err as Error).message);
      return fallback;
    }
  };

  const raw: RawScenario = { ...render({ ...original, steps: [] }, []), steps: original.steps };
  const services: ServiceSpec[] = raw.topology.services.map((s, i) => {
    const namespace = s.namespace ?? DEFAULTS.namespace;
    const versions: ServiceSpec["versions"] = {};
    for (const [v, spec] of Object.entries(s.versions ?? { v1: {} })) versions[v] = { replicas: spec.replicas ?? DEFAULTS.replicas };
    const isThrift = s.protocol === "thrift";
    for (const field of ["transport", "protocolVariant"] as const) {
      if (!isThrift && s[field] !== undefined) problem(["topology", "services", i, field], `${field} applies to thrift services only (this one is ${s.protocol})`);
    }
    if (s.protocol !== "redis" && s.redis !== undefined) problem(["topology", "services", i, "redis"], `redis applies to redis services only (this one is ${s.protocol})`);
    if (s.protocol !== "kafka" && s.kafka !== undefined) problem(["topology", "services", i, "kafka"], `kafka applies to kafka services only (this one is ${s.protocol})`);
    if (s.protocol !== "dubbo" && s.dubbo !== undefined) problem(["topology", "services", i, "dubbo"], `dubbo applies to dubbo services only (this one is ${s.protocol})`);
    if (s.protocol === "kafka" && Object.keys(versions).length > 1) problem(["topology", "services", i, "versions"], "a kafka service has one version: its brokers are one cluster, not versions");
    return {
      name: s.name,
      namespace,
      host: `${s.name}.${namespace}.svc.cluster.local`,
      protocol: s.protocol,
      port: s.port,
      versions,
      ...(isThrift ? { transport: s.transport ?? DEFAULTS.thrift.transport, protocolVariant: s.protocolVariant ?? DEFAULTS.thrift.protocolVariant } : {}),
      ...(s.protocol === "redis" ? { redis: { mode: s.redis?.mode ?? "single", ...(s.redis?.password !== undefined && { password: s.redis.password }) } } : {}),
      ...(s.protocol === "kafka" ? { kafka: { brokers: s.kafka?.brokers ?? 1 } } : {}),
      ...(s.protocol === "dubbo" && s.dubbo?.provider !== undefined ? { dubbo: { provider: s.dubbo.provider } } : {}),
      source: at(["topology", "services", i]),
    };
  });
  reportDuplicates(
    services.map((s) => s.host),
    (i) => problem(["topology", "services", i, "name"], `service ${services[i]!.name} in namespace ${services[i]!.namespace} is declared twice`),
  );

  const clients: ClientSpec[] = (raw.topology.clients ?? []).map((c, i) => ({
    name: c.name,
    namespace: c.namespace ?? DEFAULTS.namespace,
    protocol: c.protocol,
    sidecar: c.sidecar ?? DEFAULTS.sidecar,
    ...(c.dataPlane !== undefined && { dataPlane: c.dataPlane }),
    source: at(["topology", "clients", i]),
  }));
  reportDuplicates(
    clients.map((c) => c.name),
    (i) => problem(["topology", "clients", i, "name"], `client ${clients[i]!.name} is declared twice`),
  );

  const rateLimitService = normalizeRateLimitService(raw.topology.rateLimitService);

  const instances = new Map<string, string[]>(
    services.map((s) => [
      s.name,
      s.protocol === "kafka"
        ? Array.from({ length: s.kafka?.brokers ?? 1 }, (_, k) => kafkaBrokerInstance(s.name, k + 1))
        : Object.entries(s.versions).flatMap(([v, { replicas }]) => Array.from({ length: redisServers(s) ?? replicas }, (_, k) => instanceName(s.name, v, k))),
    ]),
  );
  const allInstances = [...instances.values()].flat();
  const brokerInstances = new Set(services.filter((s) => s.protocol === "kafka").flatMap((s) => instances.get(s.name) ?? []));
  const sidecarClients = clients.filter((c) => c.sidecar).map((c) => c.name);

  const resources = raw.resources !== undefined ? await resolveResourceList(doc, resourceName, ["resources"], raw.resources, scope, problems) : [];
  const steps: Step[] = [];
  for (const [i, s] of original.steps.entries()) steps.push(await normalizeStep(s, ["steps", i], scope, `step-${i + 1}`));
  reportDuplicates(
    steps.map((s) => s.name),
    (i) => problem(["steps", i, "name"], `step name "${steps[i]!.name}" is used twice; reports need unique names`),
  );

  return {
    apiVersion: SCENARIO_API_VERSION,
    kind: "Scenario",
    file,
    text: input.text,
    vars: { ...scope },
    metadata: {
      name: raw.metadata.name,
      tags: raw.metadata.tags ?? [],
      ...(raw.metadata.description !== undefined ? { description: raw.metadata.description } : {}),
    },
    topology: {
      services,
      clients,
      ...(raw.topology.dataPlane !== undefined && { dataPlane: raw.topology.dataPlane }),
      ...(raw.topology.backend !== undefined && { backend: raw.topology.backend }),
      ...(rateLimitService !== undefined && { rateLimitService }),
    },
    resources,
    steps,
  };

  function normalizeRateLimitService(r: RawScenario["topology"]["rateLimitService"]): RateLimitServiceSpec | undefined {
    if (r === undefined) return undefined;
    const path = ["topology", "rateLimitService"];
    const name = r.name ?? "ratelimit";
    const namespace = r.namespace ?? DEFAULTS.namespace;
    const host = `${name}.${namespace}.svc.cluster.local`;
    if (services.some((s) => s.host === host)) problem([...path, "name"], `${host} is already a service in topology.services; give the rate-limit service another name`);
    if (raw.topology.backend === "containers") problem(path, "the rate-limit service runs on the process backend only (backend: processes)");
    return { name, namespace, host, port: r.port ?? 8081, config: { domain: r.domain, descriptors: r.descriptors }, source: at(path) };
  }

  async function normalizeStep(original: RawStep, path: FieldPath, stepScope: TemplateScope, defaultName: string): Promise<Step> {
    const head = render({ name: original.name, id: original.id, repeat: original.repeat }, path, stepScope);
    const name = head.name ?? defaultName;
    if (!head.repeat) {
      const step = await normalizeBody(original, path, stepScope, name, head.id);
      step.expect = normalizeExpectations(original.expect, path, stepScope, step);
      return step;
    }
    const everyMs = duration([...path, "repeat", "every"], head.repeat.every, 0);
    const iterations: Step[] = [];
    for (let i = 1; i <= head.repeat.times; i++) {
      const iterationScope = { ...stepScope, i };
      const body = await normalizeBody(original, path, iterationScope, `${name} #${i}`, head.id);
      body.expect = normalizeExpectations(original.expect, path, iterationScope, body);
      iterations.push(body);
    }
    if (iterations.every((it) => it.actions.length === 0))
      problem([...path, "repeat"], "repeat needs something to repeat: apply, delete, fault, waitFor, sleep, traffic, parallel or sequence beside it");
    return {
      name,
      ...(head.id !== undefined ? { id: head.id } : {}),
      actions: ["repeat"],
      apply: [],
      delete: [],
      repeat: { times: head.repeat.times, everyMs, iterations },
      expect: [],
      source: at(path),
    };
  }

  async function normalizeBody(original: RawStep, path: FieldPath, stepScope: TemplateScope, name: string, id: string | undefined): Promise<Step> {
    const s = render({ ...original, parallel: undefined, sequence: undefined, expect: undefined, name: undefined }, path, stepScope) as unknown as RawStep;
    const present: Record<StepAction, boolean> = {
      apply: s.apply !== undefined,
      delete: s.delete !== undefined,
      fault: s.fault !== undefined,
      waitFor: s.waitFor !== undefined,
      sleep: s.sleep !== undefined,
      traffic: s.traffic !== undefined,
      parallel: original.parallel !== undefined,
      sequence: original.sequence !== undefined,
      repeat: false,
    };
    const actions = ACTION_ORDER.filter((a) => present[a]);
    if (actions.length === 0) problem(path, "a step needs at least one of apply, delete, fault, waitFor, sleep, traffic, parallel, sequence, repeat");
    const traffic = s.traffic ? normalizeTraffic(s.traffic, [...path, "traffic"]) : undefined;
    const children = async (key: "parallel" | "sequence") => {
      const list = original[key];
      if (!list) return undefined;
      const out: Step[] = [];
      for (const [k, child] of list.entries()) out.push(await normalizeStep(child, [...path, key, k], stepScope, `${name} ${key}[${k}]`));
      return out;
    };
    const parallel = await children("parallel");
    const sequence = await children("sequence");
    const faults =
      s.fault === undefined ? undefined : (Array.isArray(s.fault) ? s.fault : [s.fault]).map((f, k) => normalizeFault(f, Array.isArray(s.fault) ? [...path, "fault", k] : [...path, "fault"]));
    return {
      name,
      ...(id !== undefined ? { id } : {}),
      actions,
      apply: s.apply !== undefined ? await resolveResourceList(doc, resourceName, [...path, "apply"], s.apply, stepScope, problems) : [],
      delete: s.delete !== undefined ? await resolveResourceList(doc, resourceName, [...path, "delete"], s.delete, stepScope, problems) : [],
      ...(faults ? { fault: faults.filter((f): f is FaultSpec => f !== undefined) } : {}),
      ...(s.waitFor ? { waitFor: normalizeWaitFor(s.waitFor, [...path, "waitFor"]) } : {}),
      ...(s.sleep !== undefined ? { sleepMs: duration([...path, "sleep"], s.sleep, 0) } : {}),
      ...(traffic ? { traffic } : {}),
      ...(parallel ? { parallel } : {}),
      ...(sequence ? { sequence } : {}),
      expect: [],
      source: at(path),
    };
  }

  function normalizeWaitFor(w: NonNullable<RawStep["waitFor"]>, path: FieldPath): WaitForSpec {
    const fixtures = w.fixture === undefined ? [] : Array.isArray(w.fixture) ? w.fixture : [w.fixture];
    fixtures.forEach((f, k) => checkInstance(f, Array.isArray(w.fixture) ? [...path, "fixture", k] : [...path, "fixture"]));
    return {
      acked: w.acked ?? (w.metric === undefined && fixtures.length === 0),
      ...(w.metric ? { metric: normalizeMetric(w.metric, [...path, "metric"]) } : {}),
      fixtures,
      timeoutMs: duration([...path, "timeout"], w.timeout, DEFAULTS.waitForTimeoutMs),
    };
  }

  function normalizeMetric(m: RawMetric, path: FieldPath): MetricCondition {
    const base = { name: m.name, op: m.op, value: m.value, delta: m.delta ?? false };
    if ((m.service === undefined) === (m.sidecar === undefined)) {
      problem(path, "a metric reads exactly one of sidecar (a client's proxy counters) and service (what the service's instances counted themselves)");
      return { sidecar: m.sidecar ?? "", ...base };
    }
    if (m.service !== undefined) {
      const service = services.find((s) => s.name === m.service);
      if (!service) {
        const guess = closest(
          m.service,
          services.map((s) => s.name),
        );
        problem([...path, "service"], `no service named "${m.service}"${guess ? `; did you mean "${guess}"?` : ""}`);
      } else if (m.version !== undefined && !(m.version in service.versions)) {
        problem([...path, "version"], `service ${m.service} has no version "${m.version}" (versions: ${Object.keys(service.versions).join(", ")})`);
      } else if (service.protocol === "kafka") {
        problem([...path, "service"], `Kafka brokers do not report their own request counts yet; read a sidecar counter instead`);
      }
      if (m.instance !== undefined && service && !(instances.get(service.name) ?? []).includes(m.instance)) {
        problem([...path, "instance"], `service ${m.service} has no instance "${m.instance}" (instances: ${(instances.get(service.name) ?? []).join(", ")})`);
      }
      return { service: m.service, ...(m.version !== undefined ? { version: m.version } : {}), ...(m.instance !== undefined ? { instance: m.instance } : {}), ...base };
    }
    if (m.version !== undefined) problem([...path, "version"], "version narrows a service: set service too");
    if (m.instance !== undefined) problem([...path, "instance"], "instance narrows a service: set service too");
    const sidecar = m.sidecar ?? "";
    if (!sidecarClients.includes(sidecar)) {
      const guess = closest(sidecar, sidecarClients);
      problem(
        [...path, "sidecar"],
        `no client named "${sidecar}" with a sidecar${guess ? `; did you mean "${guess}"?` : sidecarClients.length ? ` (clients with sidecars: ${sidecarClients.join(", ")})` : ""}`,
      );
    }
    return { sidecar, ...base };
  }

  function checkInstance(name: string, path: FieldPath): void {
    if (allInstances.includes(name)) return;
    const guess = closest(name, allInstances);
    problem(path, `no instance named "${name}"${guess ? `; did you mean "${guess}"?` : ` (instances: ${allInstances.join(", ")})`}; instances are named <service>-<version>-<index>`);
  }

  function normalizeFault(f: RawFault, path: FieldPath): FaultSpec | undefined {
    const kinds = (["kill", "restart", "pause", "unpause", "network"] as const).filter((k) => f[k] !== undefined);
    if (kinds.length !== 1) {
      problem(path, `a fault is exactly one of kill, restart, pause, unpause, network${kinds.length ? ` (found ${kinds.join(", ")})` : ""}`);
      return undefined;
    }
    if (f.signal !== undefined && f.kill === undefined) problem([...path, "signal"], "signal applies to kill");
    if (f.kill !== undefined) {
      checkInstance(f.kill, [...path, "kill"]);
      return { kind: "kill", instance: f.kill, signal: f.signal ?? "SIGKILL" };
    }
    if (f.restart !== undefined) {
      checkInstance(f.restart, [...path, "restart"]);
      return { kind: "restart", instance: f.restart };
    }
    for (const kind of ["pause", "unpause"] as const) {
      const instance = f[kind];
      if (instance === undefined) continue;
      checkInstance(instance, [...path, kind]);
      if (brokerInstances.has(instance)) problem([...path, kind], `${kind} is not supported for Kafka brokers yet (kill and restart are)`);
      return { kind, instance };
    }
    const n = f.network!;
    const nPath = [...path, "network"];
    const link = normalizeLink(n.link, [...nPath, "link"]);
    const effects = (["latency", "reset", "blackhole", "bandwidth", "slice"] as const).filter((k) => n[k] !== undefined);
    if (n.clear && effects.length > 0) problem([...nPath, "clear"], `clear switches the link back to clean; drop ${effects.join(", ")} or clear`);
    if (!n.clear && effects.length === 0) problem(nPath, "name at least one of latency, reset, blackhole, bandwidth, slice (or clear: true)");
    if (!link) return undefined;
    if (link.kind === "upstream" && link.instances.some((i) => brokerInstances.has(i)))
      problem([...nPath, "link", "to"], "network faults into Kafka brokers are not supported yet (clients dial the addresses Metadata names); use fault policies or kill and restart");
    if (n.clear) return { kind: "network", link, fault: null };
    const fault: NetworkFault = {};
    if (n.latency) {
      fault.latency = {
        delayMs: duration([...nPath, "latency", "delay"], n.latency.delay, 0),
        jitterMs: duration([...nPath, "latency", "jitter"], n.latency.jitter, 0),
        probability: n.latency.probability ?? 1,
      };
    }
    if (n.reset) fault.reset = { probability: n.reset.probability ?? 1 };
    if (n.blackhole) fault.blackhole = { probability: n.blackhole.probability ?? 1 };
    if (n.bandwidth) {
      let bytesPerSecond = 1;
      try {
        bytesPerSecond = parseBandwidth(n.bandwidth.rate);
      } catch (err) {
        problem([...nPath, "bandwidth", "rate"], (err as Error).message);
      }
      fault.bandwidth = { bytesPerSecond, probability: n.bandwidth.probability ?? 1 };
    }
    if (n.slice) fault.slice = { bytes: n.slice.bytes, delayMs: duration([...nPath, "slice", "delay"], n.slice.delay, 0), probability: n.slice.probability ?? 1 };
    return { kind: "network", link, fault };
  }

  function normalizeLink(l: { from?: string; to: string }, path: FieldPath): LinkSpec | undefined {
    if (l.to === "sidecar") {
      if (l.from === undefined || !sidecarClients.includes(l.from)) {
        problem([...path, "from"], `to: sidecar is the hop from a client to its own sidecar; from must name a client with a sidecar (${sidecarClients.join(", ") || "none declared"})`);
        return undefined;
      }
      return { kind: "client", client: l.from };
    }
    if (l.from !== undefined && !clients.some((c) => c.name === l.from) && l.from !== "sidecar") {
      problem([...path, "from"], `no client named "${l.from}" (clients: ${clients.map((c) => c.name).join(", ")}); the hop into a service is shared by every caller, so from may be left out`);
    }
    const service = instances.get(l.to);
    if (service) return { kind: "upstream", target: l.to, instances: service };
    if (allInstances.includes(l.to)) return { kind: "upstream", target: l.to, instances: [l.to] };
    const guess = closest(l.to, [...instances.keys(), ...allInstances, "sidecar"]);
    problem([...path, "to"], `"${l.to}" is not a service, an instance or "sidecar"${guess ? `; did you mean "${guess}"?` : ""}`);
    return undefined;
  }

  /** Traffic under a step, with the branch id it will report under. */
  function trafficIn(step: Step, id: string | undefined, out: Array<{ id: string | undefined; ids: Set<string> }> = [], ids = new Set<string>()): Array<{ id: string | undefined; ids: Set<string> }> {
    const here = step.id ?? id;
    const nextIds = new Set(ids);
    if (step.id !== undefined) nextIds.add(step.id);
    if (step.traffic) out.push({ id: here, ids: nextIds });
    for (const child of [...(step.parallel ?? []), ...(step.sequence ?? []), ...(step.repeat?.iterations ?? [])]) trafficIn(child, here, out, nextIds);
    return out;
  }

  function idsIn(step: Step, out = new Set<string>()): Set<string> {
    if (step.id !== undefined) out.add(step.id);
    for (const child of [...(step.parallel ?? []), ...(step.sequence ?? []), ...(step.repeat?.iterations ?? [])]) idsIn(child, out);
    return out;
  }

  function normalizeExpectations(list: RawExpectation[] | undefined, path: FieldPath, stepScope: TemplateScope, step: Step): Expectation[] {
    if (!list) return [];
    const out: Expectation[] = [];
    const traffic = trafficIn(step, undefined);
    const ids = idsIn(step);
    list.forEach((rawExpectation, j) => {
      const ePath = [...path, "expect", j];
      const e = render(rawExpectation, ePath, stepScope);
      const checkOf = (of: string | undefined, assertion: Assertion, where: FieldPath) => {
        if (assertion.kind === "metric" || assertion.kind === "accessLog") return;
        if (of !== undefined) {
          if (!ids.has(of)) {
            const guess = closest(of, [...ids]);
            problem(
              [...where, "of"],
              `no branch with id "${of}" in this step${guess ? `; did you mean "${guess}"?` : ids.size ? ` (ids: ${[...ids].join(", ")})` : " (give a parallel branch an id)"}`,
            );
            return;
          }
          const matching = traffic.filter((t) => t.ids.has(of));
          if (matching.length === 0) problem([...where, "of"], `branch "${of}" sends no traffic to check`);
          else if (matching.length > 1) problem([...where, "of"], `branch "${of}" holds ${matching.length} traffic actions; give the one to check its own id`);
          return;
        }
        if (traffic.length === 0) {
          problem(where, "expectations on traffic check the traffic of their own step; add traffic to this step (or a branch of it) or move expect to the step that sends it");
        } else if (traffic.length > 1) {
          const named = traffic.map((t) => t.id).filter((x): x is string => x !== undefined);
          problem(where, `this step sends traffic ${traffic.length} times; say which with of: <id>${named.length ? ` (ids: ${[...new Set(named)].join(", ")})` : " (give each branch an id)"}`);
        }
      };
      const source = at(ePath);
      const base = (of: string | undefined) => ({ source, ...(of !== undefined ? { of } : {}) });
      for (const key of ASSERTION_KEYS) {
        if (e[key] === undefined) continue;
        const a = normalizeAssertion(e, key, ePath, step);
        rejectVacuous(a, [...ePath, key]);
        checkOf(e.of, a, ePath);
        out.push({ ...a, ...base(e.of) } as Expectation);
      }
      for (const temporal of ["eventually", "consistently"] as const) {
        const t = e[temporal];
        if (!t) continue;
        const tPath = [...ePath, temporal];
        const keys = ASSERTION_KEYS.filter((k) => t[k] !== undefined);
        if (keys.length !== 1) {
          problem(tPath, `${temporal} wraps exactly one assertion (${TEMPORAL_KEYS.join(", ")})${keys.length ? `, found ${keys.join(", ")}` : ""}`);
          continue;
        }
        if (WHOLE_TRAFFIC_KEYS.includes(keys[0]!)) {
          problem([...tPath, keys[0]!], `${keys[0]} is judged over the whole traffic action, not per second; write it without ${temporal}`);
          continue;
        }
        const inner = normalizeAssertion(t, keys[0]!, tPath, step);
        rejectVacuous(inner, [...tPath, keys[0]!]);
        const of = t.of ?? e.of;
        checkOf(of, inner, t.of !== undefined ? tPath : ePath);
        if (temporal === "eventually") {
          const within = t as { within: string };
          out.push({ kind: "eventually", withinMs: duration([...tPath, "within"], within.within, 0), inner, ...base(of) });
        } else {
          const forText = (t as { for?: string }).for;
          out.push({ kind: "consistently", ...(forText !== undefined ? { forMs: duration([...tPath, "for"], forText, 0) } : {}), inner, ...base(of) });
        }
      }
    });
    return out;
  }

  function rejectVacuous(assertion: Assertion, path: FieldPath): void {
    const vacuous = vacuousCheck(assertion);
    if (vacuous) problem(vacuous.field !== undefined ? [...path, vacuous.field] : path, `this check cannot fail: ${vacuous.reason}`);
  }

  function firstService(step: Step): ServiceSpec | undefined {
    if (step.traffic) return step.traffic.service;
    for (const child of [...(step.parallel ?? []), ...(step.sequence ?? []), ...(step.repeat?.iterations ?? [])]) {
      const found = firstService(child);
      if (found) return found;
    }
    return undefined;
  }

  function keyedTraffic(step: Step): boolean {
    if (step.traffic?.keys !== undefined) return true;
    return [...(step.parallel ?? []), ...(step.sequence ?? []), ...(step.repeat?.iterations ?? [])].some(keyedTraffic);
  }

  function normalizeAffinity(raw: NonNullable<RawAssertions["affinity"]>, path: FieldPath, step: Step): Assertion {
    const a = raw === true ? {} : raw;
    if (!keyedTraffic(step)) problem(path, "affinity reads responses per request key: give this step's traffic keys: {header, count}");
    if (a.sameAs !== undefined) {
      const earlier = steps.find((s) => s.name === a.sameAs);
      if (!earlier) {
        const names = steps.map((s) => s.name);
        const guess = closest(a.sameAs, names);
        problem([...path, "sameAs"], `no top-level step named "${a.sameAs}" runs before this one${guess ? `; did you mean "${guess}"?` : names.length ? ` (earlier steps: ${names.join(", ")})` : ""}`);
      } else if (!keyedTraffic(earlier)) {
        problem([...path, "sameAs"], `step "${a.sameAs}" sends no traffic with keys to compare with`);
      }
    } else if (a.except !== undefined) {
      problem([...path, "except"], "except lists instances that left since the step named by sameAs; add sameAs");
    }
    (a.except ?? []).forEach((name, k) => checkInstance(name, [...path, "except", k]));
    return { kind: "affinity", ...(a.sameAs !== undefined ? { sameAs: a.sameAs } : {}), except: a.except ?? [] };
  }

  function normalizeAddedLatency(a: NonNullable<RawAssertions["addedLatency"]>, path: FieldPath): Assertion {
    const earlier = steps.find((s) => s.name === a.over);
    if (!earlier) {
      const names = steps.map((s) => s.name);
      const guess = closest(a.over, names);
      problem([...path, "over"], `no top-level step named "${a.over}" runs before this one${guess ? `; did you mean "${guess}"?` : names.length ? ` (earlier steps: ${names.join(", ")})` : ""}`);
    } else if (trafficIn(earlier, undefined).length !== 1) {
      problem([...path, "over"], `step "${a.over}" must send traffic exactly once to serve as the baseline (it sends ${trafficIn(earlier, undefined).length})`);
    }
    let stat: Exclude<ThresholdStat, "rate"> = "p(50)";
    if (a.stat !== undefined) {
      try {
        stat = parseLatencyStat(a.stat);
      } catch (err) {
        if (!(err instanceof ThresholdSyntaxError)) throw err;
        problem([...path, "stat"], err.message);
      }
    }
    const minMs = a.min !== undefined ? duration([...path, "min"], a.min, 0) : undefined;
    const maxMs = a.max !== undefined ? duration([...path, "max"], a.max, 0) : undefined;
    if (minMs === undefined && maxMs === undefined) problem(path, "give min, max or both: the added latency this traffic must show");
    if (minMs !== undefined && maxMs !== undefined && minMs > maxMs) problem([...path, "min"], `min ${a.min} is larger than max ${a.max}`);
    return { kind: "addedLatency", over: a.over, stat, ...(minMs !== undefined && { minMs }), ...(maxMs !== undefined && { maxMs }) };
  }

  function normalizeAssertion(e: RawAssertions, key: (typeof ASSERTION_KEYS)[number], path: FieldPath, step: Step): Assertion {
    const service = step.traffic?.service ?? firstService(step);
    switch (key) {
      case "successRate":
        return { kind: "successRate", min: typeof e.successRate === "number" ? e.successRate : e.successRate!.min };
      case "distribution": {
        const d = e.distribution!;
        const dPath = [...path, "distribution"];
        const sum = Object.values(d.expected).reduce((a, b) => a + b, 0);
        const expected: Record<string, number> = {};
        if (Math.abs(sum - 1) > SHARE_SUM_SLACK) problem([...dPath, "expected"], `expected shares must sum to 1, they sum to ${round(sum)}`);
        for (const [k, v] of Object.entries(d.expected)) expected[k] = sum > 0 ? v / sum : 0;
        if (d.by === "version" && service) {
          const versions = Object.keys(service.versions);
          for (const k of Object.keys(d.expected)) {
            if (versions.includes(k)) continue;
            const guess = closest(k, versions);
            problem([...dPath, "expected", k], `service ${service.name} has no version "${k}" (versions: ${versions.join(", ")})${guess ? `; did you mean "${guess}"?` : ""}`);
          }
        }
        if (d.exact === true && d.tolerance !== undefined) problem([...dPath, "tolerance"], "exact: true checks every share to within one response; drop the tolerance or the exact");
        // Deterministic routing has no statistical slack unless the scenario asks for some.
        const exact = d.exact === true ? "all" : d.exact === false || d.tolerance !== undefined ? "none" : "zero-one";
        return { kind: "distribution", by: d.by, expected, tolerance: d.tolerance ?? DEFAULTS.tolerance, confidence: d.confidence ?? DEFAULTS.confidence, exact };
      }
      case "thresholds": {
        const thresholds: Threshold[] = [];
        e.thresholds!.forEach((text, k) => {
          try {
            thresholds.push(parseThreshold(text));
          } catch (err) {
            if (!(err instanceof ThresholdSyntaxError)) throw err;
            problem([...path, "thresholds", k], err.message);
          }
        });
        return { kind: "thresholds", thresholds };
      }
      case "errors":
        return { kind: "errors", counts: countRanges(e.errors!, [...path, "errors"]) };
      case "connections":
        return { kind: "connections", counts: countRanges(e.connections!, [...path, "connections"]) };
      case "metric":
        return { kind: "metric", metric: normalizeMetric(e.metric!, [...path, "metric"]) };
      case "affinity":
        return normalizeAffinity(e.affinity!, [...path, "affinity"], step);
      case "addedLatency":
        return normalizeAddedLatency(e.addedLatency!, [...path, "addedLatency"]);
      case "accessLog":
        return { kind: "accessLog", accessLog: normalizeAccessLog(e.accessLog!, [...path, "accessLog"], step) };
    }
  }

  function normalizeAccessLog(a: RawAccessLog, path: FieldPath, step: Step): AccessLogCondition {
    if (!sidecarClients.includes(a.sidecar)) {
      const guess = closest(a.sidecar, sidecarClients);
      problem(
        [...path, "sidecar"],
        `no client named "${a.sidecar}" with a sidecar${guess ? `; did you mean "${guess}"?` : sidecarClients.length ? ` (clients with sidecars: ${sidecarClients.join(", ")})` : ""}`,
      );
    }
    // YAML may give `mirrored: true` or `retries: 0`; lines are compared as text.
    const where = Object.fromEntries(Object.entries(a.where ?? {}).map(([k, v]) => [k, String(v)]));
    for (const field of Object.keys(where)) {
      if (field.startsWith("metadata.") || (ACCESS_LOG_FIELDS as readonly string[]).includes(field)) continue;
      const guess = closest(field, [...ACCESS_LOG_FIELDS]);
      problem([...path, "where", field], `access log lines have no field "${field}" (fields: ${ACCESS_LOG_FIELDS.join(", ")}, metadata.<key>)${guess ? `; did you mean "${guess}"?` : ""}`);
    }
    if (a.after !== undefined) {
      const names = stepNamesUnder(step);
      if (!names.includes(a.after)) {
        const guess = closest(a.after, names);
        problem([...path, "after"], `no step named "${a.after}" inside this step${guess ? `; did you mean "${guess}"?` : names.length ? ` (steps: ${names.join(", ")})` : ""}`);
      }
    }
    return { sidecar: a.sidecar, where, ...(a.after !== undefined && { after: a.after }), op: a.op, value: a.value };
  }

  /** Names of the steps nested in `step` (not `step` itself), for `after:`. */
  function stepNamesUnder(step: Step, out: string[] = []): string[] {
    for (const child of [...(step.parallel ?? []), ...(step.sequence ?? []), ...(step.repeat?.iterations ?? [])]) {
      if (!out.includes(child.name)) out.push(child.name);
      stepNamesUnder(child, out);
    }
    return out;
  }

  function countRanges(raw: Record<string, RawCount>, path: FieldPath): Record<string, CountRange> {
    const counts: Record<string, CountRange> = {};
    for (const [kind, c] of Object.entries(raw)) {
      if (typeof c === "number") counts[kind] = { min: c, max: c };
      else {
        if (c.min !== undefined && c.max !== undefined && c.min > c.max) problem([...path, kind], `min ${c.min} is larger than max ${c.max}`);
        counts[kind] = { min: c.min ?? 0, ...(c.max !== undefined ? { max: c.max } : {}) };
      }
    }
    return counts;
  }

  function normalizeTraffic(t: RawTraffic, path: FieldPath): TrafficSpec | undefined {
    const client = clients.find((c) => c.name === t.from);
    if (!client) {
      const names = clients.map((c) => c.name);
      const guess = closest(t.from, names);
      problem([...path, "from"], `no client named "${t.from}" in topology.clients${guess ? `; did you mean "${guess}"?` : names.length ? ` (clients: ${names.join(", ")})` : " (declare it there)"}`);
    }
    const candidates = services.filter((s) => s.name === t.to || `${s.name}.${s.namespace}` === t.to || s.host === t.to);
    const service = candidates[0];
    if (!service) {
      const guess = closest(
        t.to,
        services.map((s) => s.name),
      );
      problem([...path, "to"], `no service named "${t.to}" in topology.services${guess ? `; did you mean "${guess}"?` : ` (services: ${services.map((s) => s.name).join(", ")})`}`);
    } else if (candidates.length > 1) {
      problem([...path, "to"], `"${t.to}" matches services in several namespaces; write it as <name>.<namespace>`);
    }
    if (client && service && client.protocol !== service.protocol) {
      problem([...path, "from"], `client ${client.name} speaks ${client.protocol} but service ${service.name} speaks ${service.protocol}`);
    }

    const e = t.executor;
    const ePath = [...path, "executor"];
    const count = e.count;
    const durationMs = e.duration !== undefined ? duration([...ePath, "duration"], e.duration, 0) : undefined;
    if (count === undefined && durationMs === undefined) problem(ePath, "add count or duration so the step ends");
    const bounds = { ...(count !== undefined ? { count } : {}), ...(durationMs !== undefined ? { durationMs } : {}) };
    let executor: ExecutorSpec;
    if (e.type === "constant-arrival-rate") {
      if (e.concurrency !== undefined) problem([...ePath, "concurrency"], "concurrency applies to constant-concurrency; constant-arrival-rate sends at `rate` regardless of responses");
      let ratePerSecond = 1;
      if (e.rate === undefined) problem(ePath, 'constant-arrival-rate needs a rate, e.g. rate: "500/s"');
      else {
        try {
          ratePerSecond = parseRate(e.rate);
        } catch (err) {
          problem([...ePath, "rate"], (err as Error).message);
        }
      }
      executor = { type: e.type, ratePerSecond, ...bounds };
    } else {
      if (e.rate !== undefined) problem([...ePath, "rate"], "rate applies to constant-arrival-rate; constant-concurrency keeps `concurrency` requests in flight");
      if (e.concurrency === undefined) problem(ePath, "constant-concurrency needs concurrency, e.g. concurrency: 8");
      executor = { type: e.type, concurrency: e.concurrency ?? 1, ...bounds };
    }

    const mode = t.connections?.mode ?? DEFAULTS.connections.mode;
    if (mode === "per-request" && t.connections?.size !== undefined) {
      problem([...path, "connections", "size"], "size does not apply to per-request connections (each request opens its own)");
    }
    const connections: ConnectionsSpec = { mode, size: mode === "per-request" ? 1 : (t.connections?.size ?? DEFAULTS.connections.size) };

    if (t.keys !== undefined && service && !simulatorProtocol(service.protocol).keyed) {
      problem(
        [...path, "keys"],
        `keys are sent as a request header, and ${service.protocol} calls carry none here (protocols with headers: ${PROTOCOL_NAMES.filter((p) => simulatorProtocol(p).keyed).join(", ")})`,
      );
    }
    if (!service) return undefined;
    return {
      from: t.from,
      to: service.name,
      service,
      ...(t.call ? { call: { method: t.call.method, args: t.call.args ?? [], headers: t.call.headers ?? {} } } : {}),
      ...(t.keys !== undefined ? { keys: t.keys } : {}),
      executor,
      connections,
      timeoutMs: duration([...path, "timeout"], t.timeout, DEFAULTS.requestTimeoutMs),
    };
  }
}

/** How many redis-server processes play each version of a Redis service (fixtures/redis/service.ts). */
function redisServers(s: ServiceSpec): number | undefined {
  if (s.protocol !== "redis") return undefined;
  return { single: 1, replicated: 2, cluster: 3 }[s.redis?.mode ?? "single"];
}

function reportDuplicates(keys: string[], report: (index: number) => void): void {
  const seen = new Set<string>();
  keys.forEach((k, i) => {
    if (seen.has(k)) report(i);
    seen.add(k);
  });
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
