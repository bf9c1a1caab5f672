import { instanceName, kafkaBrokerInstance } from "../../topology/topology.ts";
import { DEFAULTS, type ClientSpec, type RateLimitServiceSpec, type ServiceSpec } from "../types.ts";
import type { RawScenario } from "./raw-shape.ts";
import { redisServers, reportDuplicates } from "./helpers.ts";
import type { NormalizeContext } from "./context.ts";

/** Services, clients and the rate-limit service; the instance names every later check looks up. */
export function normalizeTopology(ctx: NormalizeContext) {
  const { raw, problem, at } = ctx;
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

  return { services, clients, rateLimitService, instances, allInstances, brokerInstances, sidecarClients };
}
