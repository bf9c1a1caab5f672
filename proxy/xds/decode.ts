/**
 * Envoy v3 resources (protobufjs plain objects, snake_case) → the proxy's configuration
 * model. Anything meshsim cannot honour faithfully throws, so the update is NACKed rather
 * than half applied.
 *
 * Encodings read (the ones Aeraki serves, plus meshsim's extension):
 * - listener: the MetaProtocol proxy filter as a TypedStruct; `meta_protocol_filters` with
 *   local_ratelimit, ratelimit (global), meshsim's authorization, and the router last;
 * - route: header matchers, cluster / weighted_clusters, request_mirror_policies (runtime
 *   fraction), hash_policy[].header, request/response_headers_to_add, timeout, retry_policy,
 *   and route metadata `meshsim.dev` {fault, retry_budget};
 * - cluster: EDS with lb_policy, ring_hash/maglev config, circuit_breakers, outlier_detection.
 */
import type {
  AttributeMatch,
  AuthorizationPolicy,
  ClusterConfig,
  EndpointWorkload,
  ClusterLoadAssignment,
  Endpoint,
  GlobalRateLimitConfig,
  HeaderMutation,
  LbPolicy,
  ListenerConfig,
  ListenerRedirect,
  LocalRateLimitConfig,
  RetryPolicy,
  RouteAction,
  RouteConfig,
  RouteEntry,
  RouteFault,
  TokenBucket,
} from "../config/types.ts";
import { decodeAccessLog } from "./decode-access-log.ts";
import type { ListenerTracing } from "../tracing/tracing-config.ts";
import { decodeAny, fromStruct, TYPED_STRUCT_TYPE_URL, UDPA_TYPED_STRUCT_TYPE_URL } from "../../common/envoy-protos.ts";
import { decodeRedisCluster, decodeRedisListener } from "./decode-redis.ts";
import { decodeKafkaListenerConfig } from "./decode-kafka.ts";

export const META_PROTOCOL_PROXY_FILTER = "envoy.filters.network.meta_protocol_proxy";
const META_PROTOCOL_PROXY_TYPE = "aeraki.meta_protocol_proxy.v1alpha.MetaProtocolProxy";
const TYPED_STRUCT_TYPES = [TYPED_STRUCT_TYPE_URL, UDPA_TYPED_STRUCT_TYPE_URL];
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
const MESHSIM_METADATA = "meshsim.dev";
const META_FILTERS = {
  localRateLimit: "aeraki.meta_protocol.filters.local_ratelimit",
  globalRateLimit: "aeraki.meta_protocol.filters.ratelimit",
  authorization: "meshsim.meta_protocol.filters.authorization",
  router: "aeraki.meta_protocol.filters.router",
};
const LB_POLICIES: Record<string, LbPolicy> = {
  ROUND_ROBIN: "round_robin",
  LEAST_REQUEST: "least_request",
  RANDOM: "random",
  RING_HASH: "ring_hash",
  MAGLEV: "maglev",
};
const RETRY_ON = new Set<RetryPolicy["retryOn"][number]>(["connect-failure", "reset", "error-reply", "timeout"]);
const DENOMINATORS: Record<string, number> = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 };

// Decoded protobuf objects are walked field by field and checked as they are read.
// biome-ignore lint/suspicious/noExplicitAny: decoded protos are walked untyped; each field read is checked where it is used
type Obj = Record<string, any>;

function socketAddress(address: Obj | undefined, what: string): Endpoint {
  const sa = address?.socket_address as Obj | undefined;
  if (!sa || typeof sa.address !== "string") throw new Error(`${what}: only socket_address is supported`);
  return { host: sa.address, port: Number(sa.port_value ?? 0) };
}

/** google.protobuf.Duration (object form) → milliseconds. */
function durationMs(d: Obj | undefined): number | undefined {
  if (!d) return undefined;
  return Number(d.seconds ?? 0) * 1000 + Number(d.nanos ?? 0) / 1e6;
}

/** A protobuf JSON duration inside a Struct ("1.5s") → milliseconds. */
function durationStringMs(value: unknown, where: string): number {
  if (typeof value !== "string" || !/^\d+(\.\d+)?s$/.test(value)) throw new Error(`${where}: ${JSON.stringify(value)} is not a duration like "1.5s"`);
  return Number(value.slice(0, -1)) * 1000;
}

function wrapped(v: Obj | undefined): number | undefined {
  return v === undefined || v === null ? undefined : Number(v.value ?? 0);
}

/** Envoy FractionalPercent → percent (0–100). */
/** A FractionalPercent (absent: 100) as a percentage. */
export function percent(f: Obj | undefined, where: string): number {
  if (!f) return 100;
  const denominator = DENOMINATORS[String(f.denominator ?? "HUNDRED")];
  if (denominator === undefined) throw new Error(`${where}: unknown denominator ${f.denominator}`);
  return (Number(f.numerator ?? 0) / denominator) * 100;
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

function number(v: unknown, where: string, min = 0): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) throw new Error(`${where}: must be a number >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

function matchers(list: unknown, where: string): AttributeMatch[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new Error(`${where}: must be a list of header matchers`);
  return (list as Obj[]).map((h) => decodeHeaderMatcher(h, where));
}

function tokenBucket(tb: Obj | undefined, where: string): TokenBucket {
  if (!tb) throw new Error(`${where}: token_bucket is missing`);
  const maxTokens = number(tb.max_tokens, `${where}.max_tokens`, 1);
  const tokensPerFill = tb.tokens_per_fill === undefined ? 1 : number(tb.tokens_per_fill, `${where}.tokens_per_fill`, 1);
  const fillIntervalMs = durationStringMs(tb.fill_interval, `${where}.fill_interval`);
  if (fillIntervalMs <= 0) throw new Error(`${where}.fill_interval: must be greater than 0`);
  return { maxTokens, tokensPerFill, fillIntervalMs };
}

function localRateLimit(c: Obj, where: string): LocalRateLimitConfig {
  const conditions = ((c.conditions ?? []) as Obj[]).map((cond, i) => ({
    match: matchers(cond.match?.metadata, `${where}.conditions[${i}].match`),
    tokenBucket: tokenBucket(cond.token_bucket, `${where}.conditions[${i}].token_bucket`),
  }));
  return { conditions, ...(c.token_bucket !== undefined && { tokenBucket: tokenBucket(c.token_bucket, `${where}.token_bucket`) }) };
}

function globalRateLimit(c: Obj, where: string): GlobalRateLimitConfig {
  const domain = c.domain;
  if (typeof domain !== "string" || domain === "") throw new Error(`${where}: domain is missing`);
  const cluster = c.rate_limit_service?.grpc_service?.envoy_grpc?.cluster_name;
  if (typeof cluster !== "string" || cluster === "") throw new Error(`${where}: rate_limit_service.grpc_service.envoy_grpc.cluster_name is missing`);
  const descriptors = ((c.descriptors ?? []) as Obj[]).map((d, i) => {
    if (typeof d.property !== "string" || typeof d.descriptor_key !== "string") throw new Error(`${where}.descriptors[${i}]: needs property and descriptor_key`);
    return { key: d.descriptor_key, property: d.property };
  });
  if (descriptors.length === 0) throw new Error(`${where}: no descriptors`);
  return {
    domain,
    rateLimitServiceCluster: cluster,
    denyOnFail: c.failure_mode_deny === true,
    timeoutMs: c.timeout === undefined ? 20 : durationStringMs(c.timeout, `${where}.timeout`),
    descriptors,
    ...(c.match !== undefined && { match: matchers(c.match?.metadata, `${where}.match`) }),
  };
}

function authorization(c: Obj, where: string): AuthorizationPolicy[] {
  return ((c.policies ?? []) as Obj[]).map((p, i) => {
    const w = `${where}.policies[${i}]`;
    if (p.action !== "ALLOW" && p.action !== "DENY") throw new Error(`${w}: action must be ALLOW or DENY`);
    return { name: String(p.name ?? `policy-${i}`), action: p.action, rules: ((p.rules ?? []) as unknown[]).map((r, j) => matchers(r, `${w}.rules[${j}]`)) };
  });
}

/** `redirects`: the bootstrap's listener name → bound address (Kafka listeners advertise it). */
export function decodeListener(l: Obj, redirects?: Readonly<Record<string, ListenerRedirect>>): ListenerConfig {
  const name = String(l.name ?? "");
  const redis = decodeRedisListener(l);
  if (redis) return redis;
  if (l.api_listener) throw new Error(`listener ${name}: an API listener (for gRPC clients) is not a MetaProtocol listener`);
  const filters = ((l.filter_chains ?? []) as Obj[]).flatMap((fc) => (fc.filters ?? []) as Obj[]);
  const filter = filters.find((f) => f.name === META_PROTOCOL_PROXY_FILTER);
  if (!filter) throw new Error(`listener ${name}: no ${META_PROTOCOL_PROXY_FILTER} filter (found ${filters.map((f) => f.name).join(", ") || "none"})`);
  const config = metaProtocolConfig(name, filter.typed_config) as Obj;
  const codec = config.application_protocol;
  if (typeof codec !== "string" || codec === "") throw new Error(`listener ${name}: application_protocol is missing`);
  const routeConfigName = (config.rds as Obj | undefined)?.route_config_name;
  if (typeof routeConfigName !== "string" || routeConfigName === "") {
    throw new Error(`listener ${name}: only RDS route configuration (rds.route_config_name) is supported`);
  }
  const address = socketAddress(l.address, `listener ${name}`);
  const statPrefix = typeof config.stat_prefix === "string" ? config.stat_prefix : name;
  const out: ListenerConfig = { name, address, codec, routeConfigName, statPrefix };
  if (config.max_frame_size !== undefined) out.maxFrameSize = number(config.max_frame_size, `listener ${name}: max_frame_size`, 1);
  decodeKafkaListenerConfig(config, out, redirects);
  const accessLog = decodeAccessLog(config.access_log, `listener ${name}: ${META_PROTOCOL_PROXY_FILTER}`);
  if (accessLog) out.accessLog = accessLog;
  if (config.tracing !== undefined && config.tracing !== null) out.tracing = decodeTracing(config.tracing as Obj, `listener ${name}: ${META_PROTOCOL_PROXY_FILTER}.tracing`);
  const metaFilters = (config.meta_protocol_filters ?? []) as Obj[];
  metaFilters.forEach((f, i) => {
    const where = `listener ${name}: meta_protocol_filters[${i}] (${f.name})`;
    const c = (f.config ?? {}) as Obj;
    switch (f.name) {
      case META_FILTERS.localRateLimit:
        out.localRateLimit = localRateLimit(c, where);
        break;
      case META_FILTERS.globalRateLimit:
        out.globalRateLimit = globalRateLimit(c, where);
        break;
      case META_FILTERS.authorization:
        out.authorization = authorization(c, where);
        break;
      case META_FILTERS.router:
        if (i !== metaFilters.length - 1) throw new Error(`${where}: the router must be the last filter`);
        break;
      default:
        throw new Error(`${where}: unsupported filter`);
    }
  });
  return out;
}

/** The EDS resource name a cluster asks for. */
export function edsServiceName(c: Obj): string {
  return String(c.eds_cluster_config?.service_name || c.name);
}

export function decodeCluster(c: Obj): ClusterConfig {
  const name = String(c.name ?? "");
  const type = c.type ?? "STATIC";
  if (type !== "EDS") throw new Error(`cluster ${name}: unsupported discovery type ${type} (only EDS)`);
  if (c.load_balancing_policy) throw new Error(`cluster ${name}: load_balancing_policy is not supported (use lb_policy)`);
  const lb = String(c.lb_policy ?? "ROUND_ROBIN");
  const lbPolicy = LB_POLICIES[lb];
  if (!lbPolicy) throw new Error(`cluster ${name}: unsupported lb_policy ${lb}`);
  const connectTimeoutMs = durationMs(c.connect_timeout) ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const out: ClusterConfig = { name, lbPolicy, connectTimeoutMs, connectionsPerEndpoint: 1 };
  const minRing = wrapped(c.ring_hash_lb_config?.minimum_ring_size);
  if (minRing !== undefined && lbPolicy === "ring_hash") out.minimumRingSize = minRing;
  const thresholds = (c.circuit_breakers?.thresholds ?? []) as Obj[];
  const t = thresholds.find((x) => (x.priority ?? "DEFAULT") === "DEFAULT");
  if (t) {
    const cb = {
      maxConnections: wrapped(t.max_connections),
      maxPendingRequests: wrapped(t.max_pending_requests),
      maxRequests: wrapped(t.max_requests),
      maxRetries: wrapped(t.max_retries),
    };
    if (t.retry_budget) throw new Error(`cluster ${name}: circuit_breakers retry_budget is not supported (set the budget on the route)`);
    out.circuitBreakers = Object.fromEntries(Object.entries(cb).filter(([, v]) => v !== undefined));
  }
  const od = c.outlier_detection as Obj | undefined;
  if (od) {
    // Envoy's defaults for the fields left out.
    out.outlierDetection = {
      consecutiveErrors: wrapped(od.consecutive_5xx) ?? 5,
      intervalMs: durationMs(od.interval) ?? 10_000,
      baseEjectionTimeMs: durationMs(od.base_ejection_time) ?? 30_000,
      maxEjectionPercent: wrapped(od.max_ejection_percent) ?? 10,
    };
  }
  decodeRedisCluster(c, out);
  return out;
}

export function decodeClusterLoadAssignment(a: Obj): ClusterLoadAssignment {
  const clusterName = String(a.cluster_name ?? "");
  const endpoints = ((a.endpoints ?? []) as Obj[]).flatMap((locality) =>
    ((locality.lb_endpoints ?? []) as Obj[]).map((lbe): Endpoint => {
      const address = socketAddress(lbe.endpoint?.address, `endpoints of ${clusterName}`);
      const istio = lbe.metadata?.filter_metadata?.istio;
      const workload = istio ? decodeWorkload(fromStruct(istio).workload) : undefined;
      return workload ? { ...address, workload } : address;
    }),
  );
  return { clusterName, endpoints };
}

/** `tracing: {random_sampling: {value: <percent>}}` (Envoy's Percent; absent: 100). */
function decodeTracing(t: Obj, where: string): ListenerTracing {
  for (const k of Object.keys(t)) if (k !== "random_sampling") throw new Error(`${where}.${k}: not supported (only random_sampling)`);
  const value = t.random_sampling?.value ?? 100;
  if (typeof value !== "number" || value < 0 || value > 100) throw new Error(`${where}.random_sampling.value: must be a percentage from 0 to 100, got ${JSON.stringify(value)}`);
  return { randomSamplingPercent: value };
}

/** One object per identity, so that updates keep handing out the same one (request metrics key on it). */
const WORKLOADS = new Map<string, EndpointWorkload>();

/** Istio's `<workload>;<namespace>;<app>;<version>;<cluster>`; anything else is no identity. */
function decodeWorkload(value: unknown): EndpointWorkload | undefined {
  if (typeof value !== "string") return undefined;
  const known = WORKLOADS.get(value);
  if (known !== undefined) return known;
  const [name, namespace, app, version] = value.split(";");
  if (!name || namespace === undefined || app === undefined || version === undefined) return undefined;
  const workload = { name, namespace, app, version };
  WORKLOADS.set(value, workload);
  return workload;
}

export function decodeHeaderMatcher(h: Obj, where: string): AttributeMatch {
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

const ROUTE_ACTION_FIELDS = new Set(["cluster", "weighted_clusters", "request_mirror_policies", "hash_policy", "timeout", "retry_policy"]);

function decodeAction(r: Obj, where: string): RouteAction {
  const action = r.route as Obj | undefined;
  if (!action) throw new Error(`${where}: only route actions are supported (no redirect or direct_response)`);
  const unknown = Object.keys(action).filter((k) => !ROUTE_ACTION_FIELDS.has(k) && !(Array.isArray(action[k]) && action[k].length === 0));
  if (unknown.length > 0) throw new Error(`${where}: unsupported route action field ${unknown.join(", ")}`);
  if (typeof action.cluster === "string" && action.cluster !== "") return { kind: "cluster", cluster: action.cluster };
  const weighted = action.weighted_clusters?.clusters as Obj[] | undefined;
  if (weighted && weighted.length > 0) {
    return { kind: "weighted", clusters: weighted.map((c) => ({ name: String(c.name), weight: Number(c.weight?.value ?? 0) })) };
  }
  throw new Error(`${where}: unsupported route action (only cluster and weighted_clusters)`);
}

function mutations(list: Obj[] | undefined, where: string): HeaderMutation[] | undefined {
  if (!list || list.length === 0) return undefined;
  return list.map((o, i) => {
    const key = o.header?.key;
    const value = o.header?.value ?? "";
    if (typeof key !== "string" || key === "") throw new Error(`${where}[${i}]: header key is missing`);
    if (o.header?.raw_value !== undefined) throw new Error(`${where}[${i}]: raw_value is not supported`);
    return { key, value: String(value) };
  });
}

function retryPolicy(p: Obj, budget: unknown, where: string): RetryPolicy {
  const retryOn = String(p.retry_on ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const on of retryOn) if (!RETRY_ON.has(on as never)) throw new Error(`${where}: unsupported retry_on "${on}" (supported: ${[...RETRY_ON].join(", ")})`);
  const out: RetryPolicy = { attempts: wrapped(p.num_retries) ?? 1, retryOn: retryOn as RetryPolicy["retryOn"][number][] };
  const perTry = durationMs(p.per_try_timeout);
  if (perTry !== undefined) out.perTryTimeoutMs = perTry;
  if (budget !== undefined) out.budget = number(budget, `${where}: retry_budget`, 0);
  return out;
}

function fault(f: Obj, where: string): RouteFault {
  const out: RouteFault = {};
  if (f.abort) {
    if (typeof f.abort.error_kind !== "string") throw new Error(`${where}: fault.abort.error_kind is missing`);
    out.abort = {
      percentage: number(f.abort.percentage ?? 100, `${where}: fault.abort.percentage`),
      errorKind: f.abort.error_kind,
      ...(typeof f.abort.message === "string" && { message: f.abort.message }),
    };
  }
  if (f.delay) {
    out.delay = {
      percentage: number(f.delay.percentage ?? 100, `${where}: fault.delay.percentage`),
      fixedDelayMs: number(f.delay.fixed_delay_ms, `${where}: fault.delay.fixed_delay_ms`),
    };
  }
  return out;
}

function decodeRoute(r: Obj, routeName: string, where: string): RouteEntry {
  const match = (r.match ?? {}) as Obj;
  const pathForms = Object.keys(match).filter((k) => k !== "headers" && k !== "prefix" && !(Array.isArray(match[k]) && match[k].length === 0));
  if (pathForms.length > 0 || (match.prefix !== undefined && match.prefix !== "/" && match.prefix !== "")) {
    throw new Error(`${where}: unsupported match ${[...pathForms, match.prefix !== undefined ? `prefix "${match.prefix}"` : ""].filter(Boolean).join(", ")}`);
  }
  if (r.typed_per_filter_config && Object.keys(r.typed_per_filter_config).length > 0) {
    throw new Error(`${where}: typed_per_filter_config is not supported (${Object.keys(r.typed_per_filter_config).join(", ")})`);
  }
  const entry: RouteEntry = {
    name: routeName,
    match: ((match.headers ?? []) as Obj[]).map((h) => decodeHeaderMatcher(h, where)),
    action: decodeAction(r, where),
  };
  const action = r.route as Obj;
  const requestMutation = mutations(r.request_headers_to_add, `${where}: request_headers_to_add`);
  if (requestMutation) entry.requestMutation = requestMutation;
  const responseMutation = mutations(r.response_headers_to_add, `${where}: response_headers_to_add`);
  if (responseMutation) entry.responseMutation = responseMutation;
  const mirrors = (action.request_mirror_policies ?? []) as Obj[];
  if (mirrors.length > 1) throw new Error(`${where}: only one request mirror policy is supported`);
  if (mirrors[0]) {
    const m = mirrors[0];
    if (typeof m.cluster !== "string" || m.cluster === "") throw new Error(`${where}: mirror cluster is missing`);
    entry.mirror = { cluster: m.cluster, percentage: percent(m.runtime_fraction?.default_value, `${where}: mirror`) };
  }
  const hash = (action.hash_policy ?? []) as Obj[];
  if (hash.length > 0) {
    entry.hashPolicy = hash.map((h, i) => {
      const headerName = h.header?.header_name;
      if (typeof headerName !== "string" || headerName === "") throw new Error(`${where}: hash_policy[${i}]: only header hashing is supported`);
      return headerName;
    });
  }
  const timeoutMs = durationMs(action.timeout);
  if (timeoutMs !== undefined) entry.timeoutMs = timeoutMs;
  const ext = r.metadata?.filter_metadata?.[MESHSIM_METADATA] ? (fromStruct(r.metadata.filter_metadata[MESHSIM_METADATA]) as Obj) : undefined;
  if (action.retry_policy) entry.retries = retryPolicy(action.retry_policy, ext?.retry_budget, where);
  else if (ext?.retry_budget !== undefined) throw new Error(`${where}: retry_budget without a retry_policy`);
  if (ext?.fault) entry.fault = fault(ext.fault, where);
  return entry;
}

export function decodeRouteConfiguration(rc: Obj): RouteConfig {
  const name = String(rc.name ?? "");
  const routes: RouteEntry[] = [];
  for (const vh of (rc.virtual_hosts ?? []) as Obj[]) {
    ((vh.routes ?? []) as Obj[]).forEach((r, i) => {
      const routeName = String(r.name || `route-${i}`);
      routes.push(decodeRoute(r, routeName, `route configuration ${name}, route ${routeName}`));
    });
  }
  return { name, routes };
}
