/**
 * From a schema-valid scenario document to the normalized `Scenario`: defaults, units,
 * resolved references, and the cross-field checks a JSON Schema cannot express well.
 */
import type { InputProblem } from "../../common/errors.ts";
import { formatPath, type FieldPath, type SourceDocument } from "../../common/yaml-source.ts";
import { parseThreshold, ThresholdSyntaxError, type Threshold } from "../assert/thresholds.ts";
import type { ResolvedLists } from "./includes.ts";
import { closest } from "./suggest.ts";
import {
  DEFAULTS,
  SCENARIO_API_VERSION,
  type ClientSpec,
  type ConnectionsSpec,
  type ExecutorSpec,
  type Expectation,
  type Protocol,
  type Scenario,
  type ServiceSpec,
  type SourceRef,
  type Step,
  type StepAction,
  type TrafficSpec,
} from "./types.ts";
import { parseDuration, parseRate } from "./units.ts";

/** Shapes as the schema guarantees them, before defaults. */
interface RawService {
  name: string;
  namespace?: string;
  protocol: Protocol;
  port: number;
  versions?: Record<string, { replicas?: number }>;
  transport?: string;
  protocolVariant?: string;
}
interface RawClient {
  name: string;
  namespace?: string;
  protocol: Protocol;
  sidecar?: boolean;
}
interface RawTraffic {
  from: string;
  to: string;
  call?: { method: string; args?: unknown[]; headers?: Record<string, string> };
  executor: { type: ExecutorSpec["type"]; rate?: string | number; count?: number; duration?: string; concurrency?: number };
  connections?: { mode?: ConnectionsSpec["mode"]; size?: number };
  timeout?: string;
}
type RawCount = number | { min?: number; max?: number };
interface RawExpectation {
  successRate?: number | { min: number };
  distribution?: { by: "version" | "instance" | "service"; expected: Record<string, number>; tolerance?: number; confidence?: number };
  thresholds?: string[];
  errors?: Record<string, RawCount>;
}
interface RawStep {
  name?: string;
  apply?: unknown;
  delete?: unknown;
  waitFor?: { acked?: boolean; timeout?: string };
  sleep?: string;
  traffic?: RawTraffic;
  expect?: RawExpectation[];
}
interface RawScenario {
  metadata: { name: string; tags?: string[]; description?: string };
  topology: { services: RawService[]; clients?: RawClient[] };
  steps: RawStep[];
}

const SHARE_SUM_SLACK = 0.01;

export function normalizeScenario(doc: SourceDocument, file: string, lists: ResolvedLists, resourceName: string, problems: InputProblem[]): Scenario {
  const raw = doc.value as RawScenario;
  const at = (path: FieldPath): SourceRef => ({ file: doc.file, ...doc.locate(path) });
  const problem = (path: FieldPath, message: string) => {
    const { line, column } = doc.locate(path);
    problems.push({ file: doc.file, line, column, resource: resourceName, path: formatPath(path), message });
  };
  const duration = (path: FieldPath, text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    try {
      return parseDuration(text);
    } catch (err) {
      problem(path, (err as Error).message);
      return fallback;
    }
  };

  const services: ServiceSpec[] = raw.topology.services.map((s, i) => {
    const namespace = s.namespace ?? DEFAULTS.namespace;
    const versions: ServiceSpec["versions"] = {};
    for (const [v, spec] of Object.entries(s.versions ?? { v1: {} })) versions[v] = { replicas: spec.replicas ?? DEFAULTS.replicas };
    const isThrift = s.protocol === "thrift";
    for (const field of ["transport", "protocolVariant"] as const) {
      if (!isThrift && s[field] !== undefined) problem(["topology", "services", i, field], `${field} applies to thrift services only (this one is ${s.protocol})`);
    }
    return {
      name: s.name,
      namespace,
      host: `${s.name}.${namespace}.svc.cluster.local`,
      protocol: s.protocol,
      port: s.port,
      versions,
      ...(isThrift
        ? { transport: s.transport ?? DEFAULTS.thrift.transport, protocolVariant: s.protocolVariant ?? DEFAULTS.thrift.protocolVariant }
        : {}),
      source: at(["topology", "services", i]),
    };
  });
  reportDuplicates(services.map((s) => s.host), (i) => problem(["topology", "services", i, "name"], `service ${services[i]!.name} in namespace ${services[i]!.namespace} is declared twice`));

  const clients: ClientSpec[] = (raw.topology.clients ?? []).map((c, i) => ({
    name: c.name,
    namespace: c.namespace ?? DEFAULTS.namespace,
    protocol: c.protocol,
    sidecar: c.sidecar ?? DEFAULTS.sidecar,
    source: at(["topology", "clients", i]),
  }));
  reportDuplicates(clients.map((c) => c.name), (i) => problem(["topology", "clients", i, "name"], `client ${clients[i]!.name} is declared twice`));

  const steps: Step[] = raw.steps.map((s, i) => {
    const path: FieldPath = ["steps", i];
    const actions: StepAction[] = [];
    if (s.apply !== undefined) actions.push("apply");
    if (s.delete !== undefined) actions.push("delete");
    if (s.waitFor !== undefined) actions.push("waitFor");
    if (s.sleep !== undefined) actions.push("sleep");
    if (s.traffic !== undefined) actions.push("traffic");
    if (actions.length === 0) problem(path, "a step needs at least one of apply, delete, waitFor, sleep, traffic");
    const traffic = s.traffic ? normalizeTraffic(s.traffic, [...path, "traffic"]) : undefined;
    if (s.expect?.length && !s.traffic) {
      problem([...path, "expect"], "expectations check the traffic of their own step; add traffic to this step or move expect to the step that sends it");
    }
    return {
      name: s.name ?? `step-${i + 1}`,
      actions,
      apply: lists.get(formatPath([...path, "apply"])) ?? [],
      delete: lists.get(formatPath([...path, "delete"])) ?? [],
      ...(s.waitFor
        ? { waitFor: { acked: s.waitFor.acked ?? true, timeoutMs: duration([...path, "waitFor", "timeout"], s.waitFor.timeout, DEFAULTS.waitForTimeoutMs) } }
        : {}),
      ...(s.sleep !== undefined ? { sleepMs: duration([...path, "sleep"], s.sleep, 0) } : {}),
      ...(traffic ? { traffic } : {}),
      expect: (s.expect ?? []).map((e, j) => normalizeExpectation(e, [...path, "expect", j], traffic?.service)),
      source: at(path),
    };
  });
  reportDuplicates(steps.map((s) => s.name), (i) => problem(["steps", i, "name"], `step name "${steps[i]!.name}" is used twice; reports need unique names`));

  return {
    apiVersion: SCENARIO_API_VERSION,
    kind: "Scenario",
    file,
    metadata: {
      name: raw.metadata.name,
      tags: raw.metadata.tags ?? [],
      ...(raw.metadata.description !== undefined ? { description: raw.metadata.description } : {}),
    },
    topology: { services, clients },
    resources: lists.get("resources") ?? [],
    steps,
  };

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
      const guess = closest(t.to, services.map((s) => s.name));
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

    if (!service) return undefined;
    return {
      from: t.from,
      to: service.name,
      service,
      ...(t.call ? { call: { method: t.call.method, args: t.call.args ?? [], headers: t.call.headers ?? {} } } : {}),
      executor,
      connections,
      timeoutMs: duration([...path, "timeout"], t.timeout, DEFAULTS.requestTimeoutMs),
    };
  }

  function normalizeExpectation(e: RawExpectation, path: FieldPath, service: ServiceSpec | undefined): Expectation {
    const source = at(path);
    if (e.successRate !== undefined) {
      return { kind: "successRate", min: typeof e.successRate === "number" ? e.successRate : e.successRate.min, source };
    }
    if (e.distribution) {
      const d = e.distribution;
      const dPath = [...path, "distribution"];
      const sum = Object.values(d.expected).reduce((a, b) => a + b, 0);
      const expected: Record<string, number> = {};
      if (Math.abs(sum - 1) > SHARE_SUM_SLACK) {
        problem([...dPath, "expected"], `expected shares must sum to 1, they sum to ${round(sum)}`);
      }
      for (const [k, v] of Object.entries(d.expected)) expected[k] = sum > 0 ? v / sum : 0;
      if (d.by === "version" && service) {
        const versions = Object.keys(service.versions);
        for (const k of Object.keys(d.expected)) {
          if (versions.includes(k)) continue;
          const guess = closest(k, versions);
          problem([...dPath, "expected", k], `service ${service.name} has no version "${k}" (versions: ${versions.join(", ")})${guess ? `; did you mean "${guess}"?` : ""}`);
        }
      }
      return {
        kind: "distribution",
        by: d.by,
        expected,
        tolerance: d.tolerance ?? DEFAULTS.tolerance,
        confidence: d.confidence ?? DEFAULTS.confidence,
        source,
      };
    }
    if (e.thresholds) {
      const thresholds: Threshold[] = [];
      e.thresholds.forEach((text, k) => {
        try {
          thresholds.push(parseThreshold(text));
        } catch (err) {
          if (!(err instanceof ThresholdSyntaxError)) throw err;
          problem([...path, "thresholds", k], err.message);
        }
      });
      return { kind: "thresholds", thresholds, source };
    }
    const counts: Record<string, { min: number; max?: number }> = {};
    for (const [kind, c] of Object.entries(e.errors ?? {})) {
      if (typeof c === "number") counts[kind] = { min: c, max: c };
      else {
        if (c.min !== undefined && c.max !== undefined && c.min > c.max) problem([...path, "errors", kind], `min ${c.min} is larger than max ${c.max}`);
        counts[kind] = { min: c.min ?? 0, ...(c.max !== undefined ? { max: c.max } : {}) };
      }
    }
    return { kind: "errors", counts, source };
  }
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
