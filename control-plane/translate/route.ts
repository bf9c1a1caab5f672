/**
 * MetaRouter → RouteConfiguration in the encoding Aeraki serves: one virtual host; each route
 * matches prefix "/" plus one header matcher per attribute, and sends to a cluster or to
 * weighted clusters, with `request_mirror_policies` (runtime fraction), `hash_policy` (from the
 * destination's consistent hash), and mutations as `request_headers_to_add` /
 * `response_headers_to_add`. The meshsim extension uses Envoy's own `timeout` and
 * `retry_policy`, and route metadata (`meshsim.dev`) for fault injection and the retry budget.
 * A host without a MetaRouter (or one with only rate limits) gets one catch-all route.
 * gRPC hosts get the same routes, with faults as Envoy's HTTP fault filter per-route config.
 */
import type { Resource } from "../resources/kinds.ts";
import type { Destination, MetaRoute, MetaRouter, RouteDestination, StringMatch } from "../resources/meta-router.ts";
import type { RoutePolicy } from "../resources/route-policy.ts";
import { duration, MESHSIM_METADATA, type EnvoyHeaderMatcher, type EnvoyRoute, type EnvoyRouteAction, type EnvoyRouteConfiguration, type TypedAny } from "./envoy-types.ts";
import { indexOf } from "./index-cache.ts";
import { outboundClusterName, routeConfigName, routedServices, type RoutedService } from "./meta-protocol-services.ts";
import { perService } from "./service-memo.ts";
import { hashKeyFor } from "./traffic-policy.ts";

export const HTTP_FAULT_FILTER = "envoy.filters.http.fault";
const HTTP_FAULT_TYPE = "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault";

/** A fault's error kind as the gRPC status a gRPC client sees. */
const GRPC_STATUS: Record<string, number> = {
  no_route: 12,
  no_cluster: 14,
  no_healthy_endpoint: 14,
  upstream_failure: 14,
  timeout: 4,
  rate_limited: 8,
  overflow: 8,
  fault_abort: 10,
};

export function headerMatcher(name: string, m: StringMatch): EnvoyHeaderMatcher {
  const value = "exact" in m ? m.exact : "prefix" in m ? m.prefix : m.regex;
  if (value === "") return { name, present_match: true };
  if ("exact" in m) return { name, string_match: { exact: m.exact } };
  if ("prefix" in m) return { name, string_match: { prefix: m.prefix } };
  return { name, string_match: { safe_regex: { regex: m.regex } } };
}

export function headerMatchers(attributes: Record<string, StringMatch> | undefined): EnvoyHeaderMatcher[] {
  return Object.entries(attributes ?? {}).map(([k, m]) => headerMatcher(k, m));
}

const portsByHost = new WeakMap<readonly RoutedService[], Map<string, number[]>>();

/** Host → its routed ports, once per translation (a route's destinations look them up). */
function routedPortsByHost(all: readonly RoutedService[]): Map<string, number[]> {
  let map = portsByHost.get(all);
  if (!map) {
    map = new Map();
    for (const s of all) map.set(s.host, [...(map.get(s.host) ?? []), s.port.number]);
    portsByHost.set(all, map);
  }
  return map;
}

/**
 * The port a destination refers to: its own `port.number`, else the port being routed when the
 * destination host serves it, else the destination's first routed port.
 */
function destinationPort(d: Destination, svc: RoutedService, all: readonly RoutedService[]): number {
  if (d.port) return d.port.number;
  if (d.host === svc.host) return svc.port.number;
  const ports = routedPortsByHost(all).get(d.host) ?? [];
  if (ports.length === 0 || ports.includes(svc.port.number)) return svc.port.number;
  return ports[0]!;
}

function clusterOf(d: Destination, svc: RoutedService, all: readonly RoutedService[]): string {
  return outboundClusterName(destinationPort(d, svc, all), d.subset ?? "", d.host);
}

/** Percent (0–100, fractions allowed) as an Envoy FractionalPercent per million. */
function fraction(percent: number) {
  return { numerator: Math.round(percent * 10_000), denominator: "MILLION" as const };
}

function action(resources: readonly Resource[], route: MetaRoute, svc: RoutedService, all: readonly RoutedService[]): EnvoyRouteAction {
  const dests: readonly RouteDestination[] = route.route;
  const names = dests.map((d) => clusterOf(d.destination, svc, all));
  const out: EnvoyRouteAction = names.length === 1 ? { cluster: names[0]! } : { weighted_clusters: { clusters: dests.map((d, i) => ({ name: names[i]!, weight: { value: d.weight ?? 0 } })) } };
  if (route.mirror) {
    out.request_mirror_policies = [{ cluster: clusterOf(route.mirror, svc, all), runtime_fraction: { default_value: fraction(route.mirrorPercentage ?? 100) } }];
  }
  const hashKeys = new Set<string>();
  for (const d of dests) {
    const key = hashKeyFor(resources, d.destination.host, destinationPort(d.destination, svc, all), d.destination.subset ?? "");
    if (key !== undefined) hashKeys.add(key);
  }
  if (hashKeys.size > 0) out.hash_policy = [...hashKeys].map((header_name) => ({ header: { header_name } }));
  const policy = route.policy;
  if (policy?.timeoutMs !== undefined && svc.kind === "meta") out.timeout = duration(policy.timeoutMs);
  if (policy?.retries && svc.kind === "meta") {
    out.retry_policy = {
      retry_on: policy.retries.retryOn.join(","),
      num_retries: { value: policy.retries.attempts },
      ...(policy.retries.perTryTimeoutMs !== undefined && { per_try_timeout: duration(policy.retries.perTryTimeoutMs) }),
    };
  }
  return out;
}

function extensionMetadata(policy: RoutePolicy | undefined): Record<string, unknown> | undefined {
  if (!policy) return undefined;
  const out: Record<string, unknown> = {};
  const { fault } = policy;
  if (fault?.abort || fault?.delay) {
    out.fault = {
      ...(fault.abort && { abort: { percentage: fault.abort.percentage, error_kind: fault.abort.errorKind, ...(fault.abort.message !== undefined && { message: fault.abort.message }) } }),
      ...(fault.delay && { delay: { percentage: fault.delay.percentage, fixed_delay_ms: fault.delay.fixedDelayMs } }),
    };
  }
  if (policy.retries?.budget !== undefined) out.retry_budget = policy.retries.budget;
  return Object.keys(out).length > 0 ? out : undefined;
}

function grpcFault(policy: RoutePolicy | undefined): TypedAny | undefined {
  const fault = policy?.fault;
  if (!fault?.abort && !fault?.delay) return undefined;
  return {
    "@type": HTTP_FAULT_TYPE,
    ...(fault.abort && { abort: { grpc_status: GRPC_STATUS[fault.abort.errorKind] ?? 14, percentage: fraction(fault.abort.percentage) } }),
    ...(fault.delay && { delay: { fixed_delay: duration(fault.delay.fixedDelayMs), percentage: fraction(fault.delay.percentage) } }),
  };
}

function translateRoute(resources: readonly Resource[], r: MetaRoute, i: number, svc: RoutedService, all: readonly RoutedService[]): EnvoyRoute {
  const headers = headerMatchers(r.match?.attributes);
  const out: EnvoyRoute = {
    name: r.name ?? `route-${i}`,
    match: headers.length > 0 ? { prefix: "/", headers } : { prefix: "/" },
    route: action(resources, r, svc, all),
  };
  if (r.requestMutation.length > 0) out.request_headers_to_add = r.requestMutation.map((kv) => ({ header: { key: kv.key, value: kv.value } }));
  if (r.responseMutation.length > 0) out.response_headers_to_add = r.responseMutation.map((kv) => ({ header: { key: kv.key, value: kv.value } }));
  if (svc.kind === "meta") {
    const meta = extensionMetadata(r.policy);
    if (meta) out.metadata = { filter_metadata: { [MESHSIM_METADATA]: meta } };
  } else {
    const fault = grpcFault(r.policy);
    if (fault) out.typed_per_filter_config = { [HTTP_FAULT_FILTER]: fault };
  }
  return out;
}

function routesFor(resources: readonly Resource[], router: MetaRouter | undefined, svc: RoutedService, all: readonly RoutedService[]): EnvoyRoute[] {
  const routes = router?.spec.routes.filter((r) => r.route.length > 0) ?? [];
  if (routes.length === 0) return [{ name: "default", match: { prefix: "/" }, route: { cluster: outboundClusterName(svc.port.number, "", svc.host) } }];
  return router!.spec.routes.flatMap((r, i) => (r.route.length === 0 ? [] : [translateRoute(resources, r, i, svc, all)]));
}

/** The first MetaRouter per host, in resource order. */
export function routersByHost(resources: readonly Resource[]): Map<string, MetaRouter> {
  return indexOf(resources).routers;
}

export function translateRoutes(resources: readonly Resource[]): EnvoyRouteConfiguration[] {
  const all = routedServices(resources);
  const routers = routersByHost(resources);
  return all.map((svc) =>
    perService(resources, svc, "route", () => {
      const name = routeConfigName(svc.host, svc.port.number);
      return { name, virtual_hosts: [{ name, domains: ["*"], routes: routesFor(resources, routers.get(svc.host), svc, all) }] };
    }),
  );
}
