/**
 * Checks that need more than one field or more than one resource. It covers what Aeraki's
 * admission webhook checks (one FQDN host; routes or a rate limit; weights summing to 100;
 * mirror percentage only with a mirror; regexes that compile; complete token buckets and global
 * rate limits) and what it misses: duplicate route names, routes no request can reach, unknown
 * hosts, ports and subsets, and two resources claiming one host. Every problem names the file,
 * line, resource and field path.
 */
import type { InputProblem } from "../../common/errors.ts";
import type { FieldPath } from "../../common/yaml-source.ts";
import { FieldReader } from "./field-reader.ts";
import type { Resource } from "./kinds.ts";
import type { DestinationRule, TrafficPolicySpec } from "./destination-rule.ts";
import type { DubboAuthorizationPolicy } from "./dubbo-authorization-policy.ts";
import { checkMatchRegexes } from "./match.ts";
import type { Destination, MetaRouter } from "./meta-router.ts";
import type { RedisDestination } from "./redis-destination.ts";
import type { RedisService } from "./redis-service.ts";
import type { ServiceEntry } from "./service-entry.ts";
import { resourceKey, resourceLabel } from "./resource.ts";
import type { KubernetesService, Workload } from "./kubernetes.ts";
import { kubernetesServiceEntries } from "./kubernetes-services.ts";

const FQDN = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/i;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const META_PORT = /^tcp-metaprotocol-[a-z0-9]+(-.*)?$/i;
const GRPC_PORT = /^grpc(-.*)?$/i;
/** Kafka ports are routed as MetaProtocol ports with the codec "kafka" (control-plane/translate/kafka.ts). */
const KAFKA_PORT = /^tcp-kafka(-.*)?$/i;
const CLUSTER_NAME = /^outbound\|(\d+)\|([^|]*)\|(.+)$/;

interface Index {
  serviceEntries: ServiceEntry[];
  destinationRules: DestinationRule[];
  /** host → entries defining it. */
  hosts: Map<string, ServiceEntry[]>;
  /** host → the Kubernetes Service defining it, and the workloads it selects. */
  kubernetes: Map<string, { service: KubernetesService; workloads: Workload[] }>;
}

export function validateResources(resources: readonly Resource[]): InputProblem[] {
  const problems: InputProblem[] = [];
  const reader = (res: Resource) => new FieldReader(res.source, resourceLabel(res), problems);
  const seen = new Set<string>();
  for (const res of resources) {
    const key = resourceKey(res);
    if (seen.has(key)) reader(res).problem(["metadata", "name"], `duplicate resource ${key}`);
    seen.add(key);
  }
  // Kubernetes Services define hosts as their ServiceEntries would.
  const kubernetes = kubernetesServiceEntries(resources);
  const serviceEntries = [...resources.filter((r): r is ServiceEntry => r.kind === "ServiceEntry"), ...kubernetes.map((k) => k.entry)];
  const hosts = new Map<string, ServiceEntry[]>();
  for (const se of serviceEntries) for (const h of se.spec.hosts) hosts.set(h, [...(hosts.get(h) ?? []), se]);
  const index: Index = {
    serviceEntries,
    destinationRules: resources.filter((r): r is DestinationRule => r.kind === "DestinationRule"),
    hosts,
    kubernetes: new Map(kubernetes.map((k) => [k.entry.spec.hosts[0]!, k])),
  };
  // One resource of a kind per host (per protocol for ApplicationProtocol): a second one would be
  // ignored or merged unpredictably, so it is an error on the later one.
  const claimed = new Map<string, Resource>();
  const claim = (res: Resource, r: FieldReader, what: string, path: FieldPath) => {
    const key = `${res.kind}:${what}`;
    const other = claimed.get(key);
    if (other && resourceKey(other) !== resourceKey(res)) r.problem(path, `"${what}" already has a ${res.kind} (${resourceKey(other)})`);
    else claimed.set(key, res);
  };
  for (const res of resources) {
    const r = reader(res);
    switch (res.kind) {
      case "ServiceEntry":
        // Istio merges several ServiceEntries for one host, so they do not overlap.
        validateServiceEntry(res, r);
        break;
      case "DestinationRule":
        validateDestinationRule(res, r, index);
        if (res.spec.host) claim(res, r, res.spec.host, ["spec", "host"]);
        break;
      case "MetaRouter":
        validateMetaRouter(res, r, index);
        if (res.spec.hosts.length === 1) claim(res, r, res.spec.hosts[0]!, ["spec", "hosts", 0]);
        break;
      case "ApplicationProtocol":
        if (res.spec.protocol) claim(res, r, res.spec.protocol, ["spec", "protocol"]);
        break;
      case "RedisService":
        validateRedisService(res, r, index);
        res.spec.hosts.forEach((h, i) => claim(res, r, h, ["spec", "host", i]));
        break;
      case "RedisDestination":
        validateRedisDestination(res, r, index);
        if (res.spec.host) claim(res, r, res.spec.host, ["spec", "host"]);
        break;
      case "DubboAuthorizationPolicy":
        validateDubboAuthorizationPolicy(res, r);
        break;
      case "Service":
        validateKubernetesService(res, r, index);
        break;
      case "Telemetry":
        for (const ref of res.spec.targetRefs) {
          if (ref.kind !== "ServiceEntry") continue;
          const found = index.serviceEntries.some((se) => se.metadata.name === ref.name && se.metadata.namespace === ref.namespace);
          if (!found) r.problem([...ref.path, "name"], `unknown ServiceEntry "${ref.namespace}/${ref.name}"`);
        }
        break;
    }
  }
  return problems;
}

function checkExportTo(values: readonly string[], path: FieldPath, r: FieldReader): void {
  values.forEach((v, i) => {
    if (v !== "." && v !== "*" && !NAMESPACE.test(v)) r.problem([...path, i], `"${v}" is not ".", "*" or a namespace name`);
  });
}

function checkHost(host: string, path: FieldPath, r: FieldReader, index: Index): boolean {
  if (!FQDN.test(host)) {
    r.problem(path, `"${host}" is not a fully qualified host name`);
    return false;
  }
  if (!index.hosts.has(host)) {
    r.problem(path, `unknown host "${host}": no ServiceEntry or Kubernetes Service defines it`);
    return false;
  }
  return true;
}

function validateServiceEntry(se: ServiceEntry, r: FieldReader): void {
  se.spec.hosts.forEach((h, i) => {
    if (!FQDN.test(h) && !/^\*\.[^*]+$/.test(h)) r.problem(["spec", "hosts", i], `"${h}" is not a valid host name`);
  });
  const names = new Set<string>();
  const numbers = new Set<number>();
  se.spec.ports.forEach((p, i) => {
    if (names.has(p.name)) r.problem(["spec", "ports", i, "name"], `duplicate port name "${p.name}"`);
    if (numbers.has(p.number)) r.problem(["spec", "ports", i, "number"], `duplicate port number ${p.number}`);
    names.add(p.name);
    numbers.add(p.number);
  });
  se.spec.endpoints.forEach((e, i) => {
    for (const portName of Object.keys(e.ports)) {
      if (!names.has(portName)) r.problem(["spec", "endpoints", i, "ports", portName], `no port named "${portName}" in spec.ports`);
    }
  });
  checkExportTo(se.spec.exportTo, ["spec", "exportTo"], r);
}

function checkTrafficPolicy(tp: TrafficPolicySpec | undefined, path: FieldPath, r: FieldReader, ports: ReadonlySet<number> | undefined): void {
  if (!tp) return;
  const ch = tp.loadBalancer?.consistentHash;
  if (ch && ch.httpHeaderName === undefined) {
    r.problem([...path, "loadBalancer", "consistentHash"], "needs httpHeaderName (the metadata key to hash on)");
  }
  if (ch?.maglev && ch.minimumRingSize !== undefined) {
    r.problem([...path, "loadBalancer", "consistentHash", "minimumRingSize"], "applies to a ring hash, not to maglev");
  }
  tp.portLevelSettings?.forEach((p, i) => {
    if (ports && !ports.has(p.port)) r.problem([...path, "portLevelSettings", i, "port", "number"], `the host has no port ${p.port}`);
    checkTrafficPolicy(p, [...path, "portLevelSettings", i], r, undefined);
  });
}

/**
 * For a host that is a Kubernetes Service whose workloads are given too, each subset must select
 * one of them: in a cluster a subset that selects no pod has no endpoints, and every request sent
 * to it fails.
 */
function checkSubsetsSelectWorkloads(dr: DestinationRule, r: FieldReader, index: Index): void {
  const k = index.kubernetes.get(dr.spec.host);
  if (!k || k.workloads.length === 0) return;
  dr.spec.subsets.forEach((s, i) => {
    if (k.workloads.some((w) => Object.entries(s.labels).every(([key, v]) => w.spec.podLabels[key] === v))) return;
    const labels = (l: Record<string, string>) =>
      Object.entries(l)
        .map(([key, v]) => `${key}=${v}`)
        .join(",");
    const workloads = k.workloads.map((w) => `${resourceLabel(w)} {${labels(w.spec.podLabels)}}`).join(", ");
    r.problem(["spec", "subsets", i, "labels"], `subset "${s.name}" {${labels(s.labels)}} selects no workload of ${resourceLabel(k.service)} (its workloads: ${workloads})`);
  });
}

function validateKubernetesService(svc: KubernetesService, r: FieldReader, index: Index): void {
  const names = new Set<string>();
  const workloads = [...index.kubernetes.values()].find((k) => k.service === svc)?.workloads ?? [];
  svc.spec.ports.forEach((p, i) => {
    if (names.has(p.name)) r.problem(["spec", "ports", i, "name"], `duplicate port name "${p.name}"`);
    names.add(p.name);
    // A named targetPort must name a container port of every selected workload, or its pods get no traffic.
    if (typeof p.targetPort !== "string") return;
    const lacking = workloads.filter((w) => w.spec.containerPorts[p.targetPort as string] === undefined);
    if (lacking.length > 0) r.problem(["spec", "ports", i, "targetPort"], `"${p.targetPort}" names no container port of ${lacking.map(resourceLabel).join(", ")}`);
  });
}

function validateDestinationRule(dr: DestinationRule, r: FieldReader, index: Index): void {
  const { host } = dr.spec;
  let ports: Set<number> | undefined;
  if (host) {
    if (!FQDN.test(host) && !/^\*\.[^*]+$/.test(host)) r.problem(["spec", "host"], `"${host}" is not a valid host name`);
    else if (!host.startsWith("*") && !index.hosts.has(host)) r.problem(["spec", "host"], `unknown host "${host}": no ServiceEntry or Kubernetes Service defines it`);
    const entries = index.hosts.get(host);
    if (entries) ports = new Set(entries.flatMap((se) => se.spec.ports.map((p) => p.number)));
  }
  checkTrafficPolicy(dr.spec.trafficPolicy, ["spec", "trafficPolicy"], r, ports);
  checkSubsetsSelectWorkloads(dr, r, index);
  dr.spec.subsets.forEach((s, i) => checkTrafficPolicy(s.trafficPolicy, ["spec", "subsets", i, "trafficPolicy"], r, ports));
  checkExportTo(dr.spec.exportTo ?? [], ["spec", "exportTo"], r);
}

/** Host, port and subset of a destination (route, mirror) exist. */
function checkDestination(d: Destination, path: FieldPath, r: FieldReader, index: Index): void {
  const { host, subset, port } = d;
  const entries = index.hosts.get(host);
  // An unknown host is reported with whatever else is wrong with the destination (its subset).
  if (!entries) r.problem([...path, "host"], `unknown host "${host}": no ServiceEntry or Kubernetes Service defines it`);
  else if (port && !entries.some((se) => se.spec.ports.some((p) => p.number === port.number))) {
    r.problem([...path, "port", "number"], `host "${host}" has no port ${port.number}`);
  }
  if (subset !== undefined) {
    const rules = index.destinationRules.filter((dr) => dr.spec.host === host);
    if (!rules.some((dr) => dr.spec.subsets.some((s) => s.name === subset))) {
      const why = rules.length === 0 ? `no DestinationRule for host "${host}"` : `DestinationRule ${rules.map(resourceLabel).join(", ")} does not define it`;
      r.problem([...path, "subset"], `unknown subset "${subset}": ${why}`);
    }
  }
}

function matchKey(attributes: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(attributes)
      .sort()
      .map((k) => [k, attributes[k]]),
  );
}

function validateMetaRouter(mr: MetaRouter, r: FieldReader, index: Index): void {
  const { hosts, routes, localRateLimit, globalRateLimit } = mr.spec;
  if (hosts.length > 1) r.problem(["spec", "hosts"], `must name exactly one host, found ${hosts.length}`);
  hosts.forEach((h, i) => {
    if (!checkHost(h, ["spec", "hosts", i], r, index)) return;
    const ports = index.hosts.get(h)!.flatMap((se) => se.spec.ports);
    if (!ports.some((p) => META_PORT.test(p.name) || GRPC_PORT.test(p.name) || p.protocol?.toUpperCase() === "GRPC" || KAFKA_PORT.test(p.name))) {
      r.problem(["spec", "hosts", i], `host "${h}" has no MetaProtocol port (named tcp-metaprotocol-<protocol>-...) to route`);
    }
  });
  if (routes.length === 0 && !localRateLimit && !globalRateLimit) r.problem(["spec"], "needs routes, a localRateLimit or a globalRateLimit");
  checkExportTo(mr.spec.exportTo, ["spec", "exportTo"], r);
  const names = new Map<string, number>();
  const seenMatches = new Map<string, number>();
  let catchAll: number | undefined;
  routes.forEach((route, i) => {
    const path: FieldPath = ["spec", "routes", i];
    if (route.name !== undefined) {
      const first = names.get(route.name);
      if (first !== undefined) r.problem([...path, "name"], `duplicate route name "${route.name}" (first at spec.routes[${first}])`);
      else names.set(route.name, i);
    }
    const attributes = route.match?.attributes ?? {};
    const label = (j: number) => `spec.routes[${j}]${routes[j]!.name ? ` ("${routes[j]!.name}")` : ""}`;
    if (catchAll !== undefined) r.problem(path, `unreachable: ${label(catchAll)} before it matches every request`);
    else {
      const same = seenMatches.get(matchKey(attributes));
      if (same !== undefined) r.problem([...path, "match"], `unreachable: ${label(same)} before it has the same match`);
      else seenMatches.set(matchKey(attributes), i);
    }
    if (Object.keys(attributes).length === 0 && catchAll === undefined) catchAll = i;
    checkMatchRegexes(route.match, [...path, "match"], r);
    if (route.route.length > 1) {
      const sum = route.route.reduce((acc, d) => acc + (d.weight ?? 0), 0);
      if (sum !== 100) r.problem([...path, "route"], `weights must sum to 100 when there is more than one destination, found ${sum}`);
    }
    route.route.forEach((d, j) => checkDestination(d.destination, [...path, "route", j, "destination"], r, index));
    if (route.mirror) checkDestination(route.mirror, [...path, "mirror"], r, index);
    if (route.mirrorPercentage !== undefined && !route.mirror) r.problem([...path, "mirrorPercentage"], "is set but the route has no mirror");
  });
  localRateLimit?.conditions.forEach((c, i) => checkMatchRegexes(c.match, ["spec", "localRateLimit", "conditions", i, "match"], r));
  if (globalRateLimit) {
    checkMatchRegexes(globalRateLimit.match, ["spec", "globalRateLimit", "match"], r);
    const service = globalRateLimit.rateLimitService;
    if (service !== undefined) {
      const m = CLUSTER_NAME.exec(service);
      const path = ["spec", "globalRateLimit", "rateLimitService"];
      if (!m) r.problem(path, `"${service}" is not a cluster name (outbound|<port>|<subset>|<host>)`);
      else checkDestination({ host: m[3]!, port: { number: Number(m[1]) }, ...(m[2] && { subset: m[2] }) }, path, r, index);
    }
  }
}

function validateRedisService(rs: RedisService, r: FieldReader, index: Index): void {
  rs.spec.hosts.forEach((h, i) => checkHost(h, ["spec", "host", i], r, index));
  const prefixes = new Map<string, number>();
  rs.spec.routes.forEach((route, i) => {
    const path: FieldPath = ["spec", "redis", i];
    const prefix = route.match?.key.prefix ?? "";
    const first = prefixes.get(prefix);
    if (first !== undefined) {
      r.problem(
        route.match ? [...path, "match", "key", "prefix"] : path,
        prefix === "" ? `a second catch-all route (first at spec.redis[${first}])` : `duplicate prefix "${prefix}" (first at spec.redis[${first}])`,
      );
    } else prefixes.set(prefix, i);
    if (route.route) checkHost(route.route.host, [...path, "route", "host"], r, index);
    else r.problem(path, "needs a route");
    route.mirror.forEach((m, j) => checkHost(m.route.host, [...path, "mirror", j, "route", "host"], r, index));
  });
}

function validateRedisDestination(rd: RedisDestination, r: FieldReader, index: Index): void {
  if (rd.spec.host) checkHost(rd.spec.host, ["spec", "host"], r, index);
}

function validateDubboAuthorizationPolicy(p: DubboAuthorizationPolicy, r: FieldReader): void {
  p.spec.rules.forEach((rule, i) => {
    const check = (values: string[], path: FieldPath) =>
      values.forEach((v, j) => {
        if (v.length > 1 && v.slice(1, -1).includes("*")) r.problem([...path, j], `"${v}": "*" may only start or end a value`);
      });
    rule.to.forEach((op, j) => {
      const path = ["spec", "rules", i, "to", j, "operation"];
      for (const k of ["interfaces", "notInterfaces", "methods", "notMethods"] as const) check(op[k], [...path, k]);
    });
    rule.from.forEach((src, j) => {
      const path = ["spec", "rules", i, "from", j, "source"];
      for (const k of ["principals", "notPrincipals", "namespaces", "notNamespaces"] as const) check(src[k], [...path, k]);
    });
  });
}
