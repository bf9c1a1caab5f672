/**
 * An Envoy sidecar's /config_dump (proto3 JSON) → the sidecar configuration explain reads.
 * Clusters, endpoints and redis_proxy listeners go through the proxy's own decoders, after the
 * JSON is brought into the object form protobufjs reads (durations, wrapped numbers, Structs and
 * Anys differ); thrift_proxy and dubbo_proxy listeners and their route configurations (fetched
 * over trds / drds, and listed in the dump's RoutesConfigDump) become the proxy's route tables:
 *
 * - thrift_proxy: `method_name` ("" = any; "service:method" for multiplexed services) and
 *   `service_name` → exact matches on `method` and `service`; `headers` → matchers on THeader
 *   headers; routes tried in order;
 * - dubbo_proxy: each configuration's `interface` ("*", "x*", "*x" or exact), `version` and
 *   `group` and each route's `method.name` and `headers` → one route whose matchers all hold,
 *   configurations and routes tried in order, as dubbo_proxy tries them.
 *
 * What neither filter has (timeouts, retries, faults, rate limits) cannot appear in the answer.
 */
import protobuf from "protobufjs";
import { envoyRoot, toStruct, TO_OBJECT_OPTIONS, TYPE_URL } from "../../common/envoy-protos.ts";
import { protoRoot } from "../../common/proto-bundles.ts";
import type { AttributeMatch, ClusterLoadAssignment, ListenerConfig, RouteAction, RouteConfig, RouteEntry } from "../../proxy/config/types.ts";
import { decodeCluster, decodeClusterLoadAssignment, decodeHeaderMatcher, decodeListener, percent } from "../../proxy/xds/decode.ts";
import type { SidecarConfig } from "./sidecar-config.ts";

// biome-ignore lint/suspicious/noExplicitAny: an Envoy config dump is walked untyped; each field read is checked where it is used
type Obj = Record<string, any>;

const THRIFT_PROXY = "envoy.filters.network.thrift_proxy";
const DUBBO_PROXY = "envoy.filters.network.dubbo_proxy";
const WRAPPERS = new Set(["DoubleValue", "FloatValue", "Int64Value", "UInt64Value", "Int32Value", "UInt32Value", "BoolValue", "StringValue", "BytesValue"].map((n) => `.google.protobuf.${n}`));

function lookupType(typeUrl: string): protobuf.Type | undefined {
  const name = typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
  for (const root of [envoyRoot(), protoRoot("envoy-native")]) {
    const t = root.lookup(name);
    if (t instanceof protobuf.Type) return t;
  }
  return undefined;
}

/** A proto3 JSON value of `field` → protobufjs object form. */
function fieldValue(field: protobuf.Field, v: unknown): unknown {
  const t = field.resolve().resolvedType;
  if (!(t instanceof protobuf.Type) || v === null || v === undefined) return v;
  if (t.fullName === ".google.protobuf.Duration") {
    const m = /^(-?\d+)(?:\.(\d+))?s$/.exec(String(v));
    if (!m) throw new Error(`${field.name}: ${JSON.stringify(v)} is not a duration`);
    return { seconds: m[1], nanos: Number((m[2] ?? "").padEnd(9, "0").slice(0, 9)) };
  }
  if (WRAPPERS.has(t.fullName)) return { value: v };
  if (t.fullName === ".google.protobuf.Struct") return toStruct(v as Record<string, unknown>);
  if (t.fullName === ".google.protobuf.Any") {
    const inner = lookupType(String((v as Obj)["@type"] ?? ""));
    return inner ? { ...objectForm(inner, v as Obj), "@type": (v as Obj)["@type"] } : v;
  }
  return objectForm(t, v as Obj);
}

/** proto3 JSON (snake_case field names, as Envoy dumps them) → protobufjs object form of `type`. */
function objectForm(type: protobuf.Type, json: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(json)) {
    const field = type.fields[k];
    // Fields this proto tree does not know (a newer Envoy) carry nothing explain reads.
    if (!field) continue;
    if (field.map) out[k] = Object.fromEntries(Object.entries(v as Obj).map(([mk, mv]) => [mk, fieldValue(field, mv)]));
    else if (field.repeated && Array.isArray(v)) out[k] = v.map((x) => fieldValue(field, x));
    else out[k] = fieldValue(field, v);
  }
  return out;
}

/** A dumped resource in the form the proxy's xDS decoders see after decodeAny. */
function decoded(typeUrl: string, json: Obj): Obj {
  const type = lookupType(typeUrl)!;
  return type.toObject(type.fromObject(objectForm(type, json)), TO_OBJECT_OPTIONS);
}

/** Every section of a kind: Envoy lists one RoutesConfigDump per route provider (thrift, dubbo, HTTP). */
function sections(dump: Obj, kind: string, list: string): Obj[] {
  return (dump.configs as Obj[]).filter((c) => String(c["@type"]).endsWith(`.${kind}`)).flatMap((c) => (c[list] ?? []) as Obj[]);
}

function nativeListener(l: Obj): ListenerConfig | undefined {
  const filters = ((l.filter_chains ?? []) as Obj[]).flatMap((fc) => (fc.filters ?? []) as Obj[]);
  const filter = filters.find((f) => f.name === THRIFT_PROXY || f.name === DUBBO_PROXY);
  if (!filter) return undefined;
  const tc = filter.typed_config as Obj;
  const config = (tc?.value ?? tc) as Obj;
  const rds = (filter.name === THRIFT_PROXY ? config.trds : config.drds) as Obj | undefined;
  const sa = l.address?.socket_address as Obj | undefined;
  return {
    name: String(l.name),
    address: { host: String(sa?.address ?? ""), port: Number(sa?.port_value ?? 0) },
    codec: filter.name === THRIFT_PROXY ? "thrift" : "dubbo",
    routeConfigName: String(rds?.route_config_name ?? l.name),
    statPrefix: String(config.stat_prefix ?? l.name),
  };
}

function action(route: Obj, where: string): Pick<RouteEntry, "action" | "mirror"> {
  const weighted = route.weighted_clusters?.clusters as Obj[] | undefined;
  let a: RouteAction;
  if (typeof route.cluster === "string" && route.cluster !== "") a = { kind: "cluster", cluster: route.cluster };
  else if (weighted && weighted.length > 0) a = { kind: "weighted", clusters: weighted.map((c) => ({ name: String(c.name), weight: Number(c.weight ?? 0) })) };
  else throw new Error(`${where}: no cluster or weighted_clusters`);
  const mirror = (route.request_mirror_policies as Obj[] | undefined)?.[0];
  return { action: a, ...(mirror && { mirror: { cluster: String(mirror.cluster), percentage: percent(mirror.runtime_fraction?.default_value, `${where}: mirror`) } }) };
}

function thriftRoutes(rc: Obj): RouteConfig {
  const name = String(rc.name);
  const routes = ((rc.routes ?? []) as Obj[]).map((r, i): RouteEntry => {
    const where = `thrift route configuration ${name}, route ${i}`;
    const m = (r.match ?? {}) as Obj;
    if (m.invert) throw new Error(`${where}: invert is not supported`);
    const match: AttributeMatch[] = [];
    if (typeof m.method_name === "string" && m.method_name !== "") {
      const colon = m.method_name.indexOf(":");
      if (colon < 0) match.push({ name: "method", kind: "exact", value: m.method_name });
      else match.push({ name: "service", kind: "exact", value: m.method_name.slice(0, colon) }, { name: "method", kind: "exact", value: m.method_name.slice(colon + 1) });
    }
    if (typeof m.service_name === "string" && m.service_name !== "") match.push({ name: "service", kind: "exact", value: m.service_name });
    for (const h of (m.headers ?? []) as Obj[]) match.push(decodeHeaderMatcher(h, where));
    return { name: `route-${i}`, match, ...action(r.route ?? {}, where) };
  });
  return { name, routes };
}

/** dubbo_proxy's interface forms: "*" any, "x*" prefix, "*x" suffix, else exact. */
function interfaceMatch(iface: string): AttributeMatch[] {
  if (iface === "" || iface === "*") return [];
  if (iface.endsWith("*")) return [{ name: "interface", kind: "prefix", value: iface.slice(0, -1) }];
  if (iface.startsWith("*")) return [{ name: "interface", kind: "regex", value: `.*${iface.slice(1).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}` }];
  return [{ name: "interface", kind: "exact", value: iface }];
}

function dubboRoutes(mrc: Obj): RouteConfig {
  const name = String(mrc.name);
  const routes = ((mrc.route_config ?? []) as Obj[]).flatMap((rc, i) => {
    const scope: AttributeMatch[] = [
      ...interfaceMatch(String(rc.interface ?? "*")),
      ...(rc.version ? [{ name: "version", kind: "exact" as const, value: String(rc.version) }] : []),
      ...(rc.group ? [{ name: "group", kind: "exact" as const, value: String(rc.group) }] : []),
    ];
    return ((rc.routes ?? []) as Obj[]).map((r, j): RouteEntry => {
      const where = `dubbo route configuration ${name}, ${rc.name ?? i} route ${j}`;
      const m = (r.match ?? {}) as Obj;
      if (m.method?.params_match && Object.keys(m.method.params_match).length > 0) throw new Error(`${where}: params_match is not supported`);
      const method = m.method?.name as Obj | undefined;
      const match = [...scope, ...(method ? [decodeHeaderMatcher({ name: "method", string_match: method }, where)] : []), ...((m.headers ?? []) as Obj[]).map((h) => decodeHeaderMatcher(h, where))];
      return { name: String(rc.name ?? `${name}/${i}`) + (j > 0 ? `#${j}` : ""), match, ...action(r.route ?? {}, where) };
    });
  });
  return { name, routes };
}

export function configFromEnvoyDump(dump: unknown): SidecarConfig | undefined {
  const d = dump as Obj;
  if (!Array.isArray(d?.configs)) return undefined;
  const rejected: string[] = [];
  const attempt = <T>(f: () => T): T[] => {
    try {
      return [f()];
    } catch (err) {
      rejected.push((err as Error).message);
      return [];
    }
  };
  const listeners = sections(d, "ListenersConfigDump", "dynamic_listeners").flatMap((l) => {
    const listener = l.active_state?.listener as Obj | undefined;
    if (!listener) return [];
    return attempt(() => nativeListener(listener) ?? decodeListener(decoded(TYPE_URL.listener, listener)));
  });
  const routes = sections(d, "RoutesConfigDump", "dynamic_route_configs").flatMap((r) => {
    const rc = r.route_config as Obj;
    const type = String(rc?.["@type"] ?? "");
    if (type.includes(".thrift_proxy.")) return attempt(() => thriftRoutes(rc));
    if (type.includes(".dubbo_proxy.")) return attempt(() => dubboRoutes(rc));
    return [];
  });
  const clusters = sections(d, "ClustersConfigDump", "dynamic_active_clusters").flatMap((c) => attempt(() => decodeCluster(decoded(TYPE_URL.cluster, c.cluster))));
  const endpoints: ClusterLoadAssignment[] = sections(d, "EndpointsConfigDump", "dynamic_endpoint_configs").flatMap((e) =>
    attempt(() => decodeClusterLoadAssignment(decoded(TYPE_URL.endpoint, e.endpoint_config))),
  );
  return { listeners, routes, clusters, endpoints, rejected };
}
