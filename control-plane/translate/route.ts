/**
 * MetaRouter → RouteConfiguration in the encoding Aeraki serves: one virtual host; each route
 * matches prefix "/" plus one header matcher per attribute, and sends to a cluster or to
 * weighted clusters. A host without a MetaRouter gets one catch-all route.
 */
import type { Resource } from "../resources/kinds.ts";
import type { MetaRouter, RouteDestination, StringMatch } from "../resources/meta-router.ts";
import type { EnvoyHeaderMatcher, EnvoyRouteAction, EnvoyRouteConfiguration, EnvoyRoute } from "./envoy-types.ts";
import { metaProtocolServices, outboundClusterName, routeConfigName, type MetaProtocolService } from "./meta-protocol-services.ts";

export function headerMatcher(name: string, m: StringMatch): EnvoyHeaderMatcher {
  const value = "exact" in m ? m.exact : "prefix" in m ? m.prefix : m.regex;
  if (value === "") return { name, present_match: true };
  if ("exact" in m) return { name, string_match: { exact: m.exact } };
  if ("prefix" in m) return { name, string_match: { prefix: m.prefix } };
  return { name, string_match: { safe_regex: { regex: m.regex } } };
}

/**
 * The port a destination refers to: its own `port.number`, else the port being routed when the
 * destination host serves it, else the destination's first MetaProtocol port.
 */
function destinationPort(d: RouteDestination, svc: MetaProtocolService, all: readonly MetaProtocolService[]): number {
  if (d.destination.port) return d.destination.port.number;
  const ports = all.filter((s) => s.host === d.destination.host).map((s) => s.port.number);
  if (ports.length === 0 || ports.includes(svc.port.number)) return svc.port.number;
  return ports[0]!;
}

function action(dests: readonly RouteDestination[], svc: MetaProtocolService, all: readonly MetaProtocolService[]): EnvoyRouteAction {
  const names = dests.map((d) => outboundClusterName(destinationPort(d, svc, all), d.destination.subset ?? "", d.destination.host));
  if (names.length === 1) return { cluster: names[0]! };
  return { weighted_clusters: { clusters: dests.map((d, i) => ({ name: names[i]!, weight: { value: d.weight ?? 0 } })) } };
}

function routesFor(router: MetaRouter | undefined, svc: MetaProtocolService, all: readonly MetaProtocolService[]): EnvoyRoute[] {
  if (!router) return [{ name: "default", match: { prefix: "/" }, route: { cluster: outboundClusterName(svc.port.number, "", svc.host) } }];
  const out: EnvoyRoute[] = [];
  router.spec.routes.forEach((r, i) => {
    if (r.route.length === 0) return;
    const headers = Object.entries(r.match?.attributes ?? {}).map(([k, m]) => headerMatcher(k, m));
    out.push({
      name: r.name ?? `route-${i}`,
      match: headers.length > 0 ? { prefix: "/", headers } : { prefix: "/" },
      route: action(r.route, svc, all),
    });
  });
  return out;
}

export function translateRoutes(resources: readonly Resource[]): EnvoyRouteConfiguration[] {
  const all = metaProtocolServices(resources);
  const routers = new Map<string, MetaRouter>();
  for (const r of resources) if (r.kind === "MetaRouter" && r.spec.hosts[0] && !routers.has(r.spec.hosts[0])) routers.set(r.spec.hosts[0], r);
  return all.map((svc) => {
    const name = routeConfigName(svc.host, svc.port.number);
    return { name, virtual_hosts: [{ name, domains: ["*"], routes: routesFor(routers.get(svc.host), svc, all) }] };
  });
}
