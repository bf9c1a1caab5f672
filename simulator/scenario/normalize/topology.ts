import { findSimulatorProtocol, PROTOCOL_NAMES } from "../../protocols/registry.ts";
import { serviceInstances } from "../../topology/topology.ts";
import { DEFAULTS, type ClientSpec, type RateLimitServiceSpec, type ServiceSpec } from "../types.ts";
import type { RawScenario } from "./raw-shape.ts";
import { reportDuplicates } from "./helpers.ts";
import type { NormalizeContext } from "./context.ts";

type FaultKind = "pause" | "unpause" | "network";

/** Services, clients and the rate-limit service; the instance names every later check looks up. */
export function normalizeTopology(ctx: NormalizeContext) {
  const { raw, problem, at } = ctx;
  const services: ServiceSpec[] = raw.topology.services.map((s, i) => {
    const namespace = s.namespace ?? DEFAULTS.namespace;
    const versions: ServiceSpec["versions"] = {};
    for (const [v, spec] of Object.entries(s.versions ?? { v1: {} })) versions[v] = { replicas: spec.replicas ?? DEFAULTS.replicas };
    // A protocol's own fields (`redis:`, `transport:`) belong to its services only.
    for (const other of PROTOCOL_NAMES) {
      if (other === s.protocol) continue;
      for (const field of findSimulatorProtocol(other)?.scenario?.options ?? []) {
        if (s[field] !== undefined) problem(["topology", "services", i, field], `${field} applies to ${other} services only (this one is ${s.protocol})`);
      }
    }
    const rules = findSimulatorProtocol(s.protocol)?.scenario;
    rules?.check?.(s, (field, message) => problem(["topology", "services", i, field], message));
    return {
      name: s.name,
      namespace,
      host: `${s.name}.${namespace}.svc.cluster.local`,
      protocol: s.protocol,
      port: s.port,
      versions,
      ...rules?.defaults?.(s),
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

  const instances = new Map<string, string[]>(services.map((s) => [s.name, serviceInstances(s).map((x) => x.instance)]));
  const allInstances = [...instances.values()].flat();
  /** Why a fault of `kind` cannot be aimed at `instance`, as its protocol says; undefined: it can. */
  const faultRefusals = new Map(services.flatMap((s) => (instances.get(s.name) ?? []).map((instance) => [instance, findSimulatorProtocol(s.protocol)?.scenario?.faultRefusal] as const)));
  const instanceFaultRefusal = (instance: string, kind: FaultKind): string | undefined => faultRefusals.get(instance)?.(kind);
  const sidecarClients = clients.filter((c) => c.sidecar).map((c) => c.name);

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

  return { services, clients, rateLimitService, instances, allInstances, instanceFaultRefusal, sidecarClients };
}
