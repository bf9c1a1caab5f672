/**
 * Where the rules behind a sidecar's configuration were written: for each piece `meshsim explain`
 * reports (a route, a match condition, a subset, a traffic policy group, an endpoint, a rate
 * limit, a route policy), the file:line of the resource field that decided it. Without resources
 * (a live sidecar's dump) every answer is undefined and explain names config objects instead.
 */
import type { FieldPath } from "../../common/yaml-source.ts";
import type { Resource } from "../../control-plane/resources/kinds.ts";
import type { MetaRouter } from "../../control-plane/resources/meta-router.ts";
import type { RedisService } from "../../control-plane/resources/redis-service.ts";
import { resourceLabel } from "../../control-plane/resources/resource.ts";
import { FROM_KUBERNETES_LABEL, withKubernetesServices } from "../../control-plane/resources/kubernetes-services.ts";
import { routePolicyLocation } from "../../control-plane/resources/route-policy.ts";
import { destinationRuleFor, effectivePolicySources, type PolicyGroup } from "../../control-plane/translate/traffic-policy.ts";
import { routersByHost } from "../../control-plane/translate/route.ts";
import { subsetsFor } from "../../control-plane/translate/cluster.ts";
import { matchesLabels } from "../../control-plane/translate/endpoint.ts";

export interface Location {
  file: string;
  line: number;
  /** `Kind/name` of the resource. */
  resource: string;
  /** What the rule says, where it helps (a subset's or an endpoint's labels). */
  note?: string;
}

export interface Provenance {
  serviceHost(host: string): Location | undefined;
  /** `routeName` as served (a MetaRouter route's name, else `route-<index>`). */
  route(host: string, routeName: string): RouteProvenance | undefined;
  subset(host: string, subset: string): Location | undefined;
  policyGroup(host: string, port: number, subset: string, group: PolicyGroup): Location | undefined;
  /** The endpoint entry behind an address of a cluster of `host` (its `subset`, "" for none). */
  endpoint(host: string, subset: string, address: string, port: number): Location | undefined;
  /** The condition that holds (its index), or -1: the default bucket, or the limit itself when there is none. */
  localRateLimit(host: string, condition: number): Location | undefined;
  globalRateLimit(host: string): Location | undefined;
  authorizationPolicy(name: string): Location | undefined;
  redisRoute(host: string, prefix: string | undefined): Location | undefined;
  redisFault(host: string, index: number): Location | undefined;
}

export interface RouteProvenance {
  at: Location;
  condition(attribute: string): Location | undefined;
  destination(index: number): Location | undefined;
  mirror(): Location | undefined;
  policy(field: "timeout" | "retries" | "fault"): Location | undefined;
  requestMutation(): Location | undefined;
  responseMutation(): Location | undefined;
}

const NONE_OF_A_ROUTE: Omit<RouteProvenance, "at"> = {
  condition: () => undefined,
  destination: () => undefined,
  mirror: () => undefined,
  policy: () => undefined,
  requestMutation: () => undefined,
  responseMutation: () => undefined,
};

export const NO_PROVENANCE: Provenance = {
  serviceHost: () => undefined,
  route: () => undefined,
  subset: () => undefined,
  policyGroup: () => undefined,
  endpoint: () => undefined,
  localRateLimit: () => undefined,
  globalRateLimit: () => undefined,
  authorizationPolicy: () => undefined,
  redisRoute: () => undefined,
  redisFault: () => undefined,
};

function at(r: Resource, path: FieldPath, note?: string): Location {
  // The simulator labels the ServiceEntries and DestinationRules it writes for a topology.
  const generated = r.metadata.labels["meshsim.dev/generated"] === "true" ? " (from the topology)" : "";
  // ServiceEntries made from Kubernetes Services are named by their Service.
  const label = r.metadata.labels[FROM_KUBERNETES_LABEL] ?? resourceLabel(r);
  return { file: r.source.file, line: r.source.locate(path).line, resource: `${label}${generated}`, ...(note && { note }) };
}

function labelsNote(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
}

export function resourceProvenance(written: readonly Resource[]): Provenance {
  const resources = withKubernetesServices(written);
  const router = (host: string): MetaRouter | undefined => routersByHost(resources).get(host);
  const serviceHost = (host: string): Location | undefined => {
    for (const r of resources) {
      if (r.kind !== "ServiceEntry") continue;
      const i = r.spec.hosts.indexOf(host);
      if (i >= 0) return at(r, ["spec", "hosts", i]);
    }
    return undefined;
  };
  const redisService = (host: string) => resources.find((r): r is RedisService => r.kind === "RedisService" && r.spec.hosts.includes(host));
  return {
    serviceHost,
    route(host, routeName) {
      const mr = router(host);
      // Without a MetaRouter the control plane serves one catch-all route to the whole service.
      if (!mr?.spec.routes.some((r) => r.route.length > 0) && routeName === "default") {
        const service = serviceHost(host);
        return service && { ...NONE_OF_A_ROUTE, at: { ...service, note: "no MetaRouter routes this host: every request goes to the whole service" } };
      }
      const i = mr?.spec.routes.findIndex((r, j) => (r.name ?? `route-${j}`) === routeName) ?? -1;
      if (!mr || i < 0) return undefined;
      const route = mr.spec.routes[i]!;
      const base: FieldPath = ["spec", "routes", i];
      return {
        at: at(mr, base),
        condition: (attribute) => (route.match?.attributes[attribute] ? at(mr, [...base, "match", "attributes", attribute]) : undefined),
        destination: (j) => (route.route[j] ? at(mr, [...base, "route", j]) : undefined),
        mirror: () => (route.mirror ? at(mr, [...base, "mirror"]) : undefined),
        policy: (field) => {
          const p = route.policy && routePolicyLocation(route.policy, field);
          return p && { ...p, resource: resourceLabel(mr) };
        },
        requestMutation: () => (route.requestMutation.length > 0 ? at(mr, [...base, "requestMutation"]) : undefined),
        responseMutation: () => (route.responseMutation.length > 0 ? at(mr, [...base, "responseMutation"]) : undefined),
      };
    },
    subset(host, subset) {
      for (const r of resources) {
        if (r.kind !== "DestinationRule" || r.spec.host !== host) continue;
        const i = r.spec.subsets.findIndex((s) => s.name === subset);
        if (i >= 0) return at(r, ["spec", "subsets", i], labelsNote(r.spec.subsets[i]!.labels));
      }
      return undefined;
    },
    policyGroup(host, port, subset, group) {
      const dr = destinationRuleFor(resources, host);
      if (!dr) return undefined;
      const path = effectivePolicySources(
        dr,
        port,
        dr.spec.subsets.find((s) => s.name === subset),
      )[group];
      return path && at(dr, path);
    },
    endpoint(host, subset, address, port) {
      const labels = subsetsFor(resources, host).find((s) => s.name === subset)?.labels ?? {};
      for (const r of resources) {
        if (r.kind !== "ServiceEntry" || !r.spec.hosts.includes(host)) continue;
        const i = r.spec.endpoints.findIndex(
          (e) => e.address === address && matchesLabels(e, labels) && (Object.values(e.ports).includes(port) || r.spec.ports.some((p) => (p.targetPort ?? p.number) === port)),
        );
        if (i < 0) continue;
        const endpoint = r.spec.endpoints[i]!;
        // An endpoint made from a Kubernetes workload is that workload, named by the endpoint's address.
        const workload = r.metadata.labels[FROM_KUBERNETES_LABEL]
          ? resources.find((w) => (w.kind === "Deployment" || w.kind === "StatefulSet" || w.kind === "Pod") && w.metadata.namespace === r.metadata.namespace && w.metadata.name === endpoint.address)
          : undefined;
        return at(workload ?? r, workload ? ["metadata", "name"] : ["spec", "endpoints", i], labelsNote(endpoint.labels));
      }
      return undefined;
    },
    localRateLimit(host, condition) {
      const mr = router(host);
      if (!mr?.spec.localRateLimit) return undefined;
      const path: FieldPath =
        condition >= 0 ? ["spec", "localRateLimit", "conditions", condition] : mr.spec.localRateLimit.tokenBucket ? ["spec", "localRateLimit", "tokenBucket"] : ["spec", "localRateLimit"];
      return at(mr, path);
    },
    globalRateLimit(host) {
      const mr = router(host);
      return mr?.spec.globalRateLimit ? at(mr, ["spec", "globalRateLimit"]) : undefined;
    },
    authorizationPolicy(name) {
      const p = resources.find((r) => r.kind === "DubboAuthorizationPolicy" && `${r.metadata.namespace}/${r.metadata.name}` === name);
      return p && at(p, ["spec", "rules"]);
    },
    redisRoute(host, prefix) {
      const rs = redisService(host);
      const i = rs?.spec.routes.findIndex((r) => (prefix === undefined ? r.match === undefined : r.match?.key.prefix === prefix)) ?? -1;
      return rs && i >= 0 ? at(rs, ["spec", "redis", i]) : undefined;
    },
    redisFault(host, index) {
      const rs = redisService(host);
      return rs?.spec.faults[index] ? at(rs, ["spec", "faults", index]) : undefined;
    },
  };
}
