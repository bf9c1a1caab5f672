/**
 * Envoy v3 resources (protobufjs plain objects, snake_case) → the proxy's configuration
 * model. Anything meshsim cannot honour faithfully throws, so the update is NACKed rather
 * than half applied.
 */
import type { AttributeMatch, ClusterConfig, ClusterLoadAssignment, Endpoint, ListenerConfig, RouteAction, RouteConfig, RouteEntry } from "../config/types.ts";
import { decodeAny, fromStruct } from "../../common/envoy-protos.ts";

export const META_PROTOCOL_PROXY_FILTER = "envoy.filters.network.meta_protocol_proxy";
const META_PROTOCOL_PROXY_TYPE = "aeraki.meta_protocol_proxy.v1alpha.MetaProtocolProxy";
const TYPED_STRUCT_TYPES = ["type.googleapis.com/xds.type.v3.TypedStruct", "type.googleapis.com/udpa.type.v1.TypedStruct"];
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

// Decoded protobuf objects are walked field by field and checked as they are read.
type Obj = Record<string, any>;

function socketAddress(address: Obj | undefined, what: string): Endpoint {
  const sa = address?.socket_address as Obj | undefined;
  if (!sa || typeof sa.address !== "string") throw new Error(`${what}: only socket_address is supported`);
  return { host: sa.address, port: Number(sa.port_value ?? 0) };
}

/** The MetaProtocol proxy's configuration, from a TypedStruct (Aeraki's own proto is not loaded). */
function metaProtocolConfig(listener: string, typedConfig: Obj | undefined): Record<string, unknown> {
  if (!typedConfig || !TYPED_STRUCT_TYPES.includes(typedConfig.type_url)) {
    throw new Error(`listener ${listener}: meta_protocol_proxy typed_config must be a TypedStruct, got ${typedConfig?.type_url ?? "nothing"}`);
  }
  const ts = decodeAny(typedConfig.type_url, typedConfig.value as Uint8Array) as Obj;
  if (typeof ts.type_url !== "string" || !ts.type_url.endsWith(META_PROTOCOL_PROXY_TYPE)) {
    throw new Error(`listener ${listener}: unsupported filter config type ${ts.type_url}`);
  }
  return fromStruct(ts.value);
}

export function decodeListener(l: Obj): ListenerConfig {
  const name = String(l.name ?? "");
  const filters = ((l.filter_chains ?? []) as Obj[]).flatMap((fc) => (fc.filters ?? []) as Obj[]);
  const filter = filters.find((f) => f.name === META_PROTOCOL_PROXY_FILTER);
  if (!filter) throw new Error(`listener ${name}: no ${META_PROTOCOL_PROXY_FILTER} filter (found ${filters.map((f) => f.name).join(", ") || "none"})`);
  const config = metaProtocolConfig(name, filter.typed_config);
  const codec = config.application_protocol;
  if (typeof codec !== "string" || codec === "") throw new Error(`listener ${name}: application_protocol is missing`);
  const routeConfigName = (config.rds as Obj | undefined)?.route_config_name;
  if (typeof routeConfigName !== "string" || routeConfigName === "") {
    throw new Error(`listener ${name}: only RDS route configuration (rds.route_config_name) is supported`);
  }
  const address = socketAddress(l.address, `listener ${name}`);
  const statPrefix = typeof config.stat_prefix === "string" ? config.stat_prefix : name;
  return { name, address, codec, routeConfigName, statPrefix };
}

/** The EDS resource name a cluster asks for. */
export function edsServiceName(c: Obj): string {
  return String(c.eds_cluster_config?.service_name || c.name);
}

export function decodeCluster(c: Obj): ClusterConfig {
  const name = String(c.name ?? "");
  const type = c.type ?? "STATIC";
  if (type !== "EDS") throw new Error(`cluster ${name}: unsupported discovery type ${type} (only EDS)`);
  const lb = c.lb_policy ?? "ROUND_ROBIN";
  if (lb !== "ROUND_ROBIN") throw new Error(`cluster ${name}: unsupported lb_policy ${lb}`);
  const timeout = c.connect_timeout as Obj | undefined;
  const connectTimeoutMs = timeout ? Number(timeout.seconds ?? 0) * 1000 + Math.round(Number(timeout.nanos ?? 0) / 1e6) : DEFAULT_CONNECT_TIMEOUT_MS;
  return { name, lbPolicy: "round_robin", connectTimeoutMs, connectionsPerEndpoint: 1 };
}

export function decodeClusterLoadAssignment(a: Obj): ClusterLoadAssignment {
  const clusterName = String(a.cluster_name ?? "");
  const endpoints = ((a.endpoints ?? []) as Obj[]).flatMap((locality) =>
    ((locality.lb_endpoints ?? []) as Obj[]).map((lbe) => socketAddress(lbe.endpoint?.address, `endpoints of ${clusterName}`)),
  );
  return { clusterName, endpoints };
}

function decodeHeaderMatcher(h: Obj, where: string): AttributeMatch {
  const name = String(h.name ?? "");
  if (h.invert_match) throw new Error(`${where}: invert_match on "${name}" is not supported`);
  if (h.present_match === true) return { name, kind: "present" };
  if (typeof h.exact_match === "string") return { name, kind: "exact", value: h.exact_match };
  if (typeof h.prefix_match === "string") return { name, kind: "prefix", value: h.prefix_match };
  if (h.safe_regex_match) return { name, kind: "regex", value: String(h.safe_regex_match.regex ?? "") };
  const sm = h.string_match as Obj | undefined;
  if (sm && !sm.ignore_case) {
    if (typeof sm.exact === "string") return { name, kind: "exact", value: sm.exact };
    if (typeof sm.prefix === "string") return { name, kind: "prefix", value: sm.prefix };
    if (sm.safe_regex) return { name, kind: "regex", value: String(sm.safe_regex.regex ?? "") };
  }
  const forms = Object.keys(h).filter((k) => k !== "name" && h[k] !== false);
  throw new Error(`${where}: unsupported header match for "${name}" (${forms.join(", ") || "no match form"})`);
}

function decodeAction(r: Obj, where: string): RouteAction {
  const action = r.route as Obj | undefined;
  if (!action) throw new Error(`${where}: only route actions are supported (no redirect or direct_response)`);
  if (typeof action.cluster === "string" && action.cluster !== "") return { kind: "cluster", cluster: action.cluster };
  const weighted = action.weighted_clusters?.clusters as Obj[] | undefined;
  if (weighted && weighted.length > 0) {
    return { kind: "weighted", clusters: weighted.map((c) => ({ name: String(c.name), weight: Number(c.weight?.value ?? 0) })) };
  }
  throw new Error(`${where}: unsupported route action (only cluster and weighted_clusters)`);
}

export function decodeRouteConfiguration(rc: Obj): RouteConfig {
  const name = String(rc.name ?? "");
  const routes: RouteEntry[] = [];
  for (const vh of (rc.virtual_hosts ?? []) as Obj[]) {
    ((vh.routes ?? []) as Obj[]).forEach((r, i) => {
      const routeName = String(r.name || `route-${i}`);
      const where = `route configuration ${name}, route ${routeName}`;
      const match = (r.match ?? {}) as Obj;
      const pathForms = Object.keys(match).filter(
        (k) => k !== "headers" && k !== "prefix" && !(Array.isArray(match[k]) && match[k].length === 0),
      );
      if (pathForms.length > 0 || (match.prefix !== undefined && match.prefix !== "/" && match.prefix !== "")) {
        throw new Error(`${where}: unsupported match ${[...pathForms, match.prefix !== undefined ? `prefix "${match.prefix}"` : ""].filter(Boolean).join(", ")}`);
      }
      routes.push({
        name: routeName,
        match: ((match.headers ?? []) as Obj[]).map((h) => decodeHeaderMatcher(h, where)),
        action: decodeAction(r, where),
      });
    });
  }
  return { name, routes };
}
