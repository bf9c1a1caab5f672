/**
 * Envoy's redis_proxy encoding → the proxy's Redis config. Read from a TypedStruct (the
 * redis_proxy protos are not loaded): `envoy.extensions.filters.network.redis_proxy.v3.RedisProxy`
 * on listeners; on clusters, RedisProtocolOptions under typed_extension_protocol_options
 * (upstream auth) and meshsim's `meshsim.dev` metadata {redis: {mode, discovery_endpoints}}.
 * Anything meshsim would not honour throws, so the update is NACKed.
 */
import type { ClusterConfig, Endpoint, ListenerConfig, RedisFaultConfig, RedisListenerConfig, RedisReadPolicy, RedisRouteTarget } from "../config/types.ts";
import { decodeAccessLog } from "./decode-access-log.ts";
import { decodeAny, fromStruct, TYPED_STRUCT_TYPE_URL, UDPA_TYPED_STRUCT_TYPE_URL } from "../../common/envoy-protos.ts";

export const REDIS_PROXY_FILTER = "envoy.filters.network.redis_proxy";
const REDIS_PROXY_TYPE = "envoy.extensions.filters.network.redis_proxy.v3.RedisProxy";
const REDIS_OPTIONS_TYPE = "envoy.extensions.filters.network.redis_proxy.v3.RedisProtocolOptions";
const READ_POLICIES = new Set<RedisReadPolicy>(["MASTER", "PREFER_MASTER", "REPLICA", "PREFER_REPLICA", "ANY"]);
const DENOMINATORS: Record<string, number> = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 };

// biome-ignore lint/suspicious/noExplicitAny: decoded protos are walked untyped; each field read is checked where it is used
type Obj = Record<string, any>;

function typedStruct(any: Obj | undefined, type: string, where: string): Obj {
  if (!any || (any.type_url !== TYPED_STRUCT_TYPE_URL && any.type_url !== UDPA_TYPED_STRUCT_TYPE_URL)) {
    throw new Error(`${where}: typed_config must be a TypedStruct, got ${any?.type_url ?? "nothing"}`);
  }
  const ts = decodeAny(any.type_url, any.value as Uint8Array) as Obj;
  if (typeof ts.type_url !== "string" || !ts.type_url.endsWith(type)) throw new Error(`${where}: unsupported config type ${ts.type_url}`);
  return fromStruct(ts.value) as Obj;
}

function durationMs(v: unknown, where: string): number {
  if (typeof v !== "string" || !/^\d+(\.\d+)?s$/.test(v)) throw new Error(`${where}: ${JSON.stringify(v)} is not a duration like "0.5s"`);
  return Number(v.slice(0, -1)) * 1000;
}

function percent(f: Obj | undefined, where: string): number {
  const d = f?.default_value as Obj | undefined;
  if (!d) return 100;
  const denominator = DENOMINATORS[String(d.denominator ?? "HUNDRED")];
  if (denominator === undefined) throw new Error(`${where}: unknown denominator ${d.denominator}`);
  return (Number(d.numerator ?? 0) / denominator) * 100;
}

function inline(ds: Obj | undefined, where: string): string | undefined {
  if (ds === undefined || ds === null) return undefined;
  if (typeof ds.inline_string !== "string") throw new Error(`${where}: only inline_string data sources are supported`);
  return ds.inline_string;
}

function target(r: Obj, where: string): RedisRouteTarget {
  if (typeof r.cluster !== "string" || r.cluster === "") throw new Error(`${where}: cluster is missing`);
  const mirrors = ((r.request_mirror_policy ?? []) as Obj[]).map((m, i) => {
    if (typeof m.cluster !== "string" || m.cluster === "") throw new Error(`${where}.request_mirror_policy[${i}]: cluster is missing`);
    return { cluster: m.cluster, percentage: percent(m.runtime_fraction, `${where}.request_mirror_policy[${i}]`), excludeReadCommands: m.exclude_read_commands === true };
  });
  return { cluster: r.cluster, mirrors };
}

/** The listener when it carries redis_proxy, else undefined (not a Redis listener). */
export function decodeRedisListener(l: Obj): ListenerConfig | undefined {
  const name = String(l.name ?? "");
  const filters = ((l.filter_chains ?? []) as Obj[]).flatMap((fc) => (fc.filters ?? []) as Obj[]);
  const filter = filters.find((f) => f.name === REDIS_PROXY_FILTER);
  if (!filter) return undefined;
  const where = `listener ${name}: ${REDIS_PROXY_FILTER}`;
  const c = typedStruct(filter.typed_config, REDIS_PROXY_TYPE, where);
  const sa = l.address?.socket_address as Obj | undefined;
  if (!sa || typeof sa.address !== "string") throw new Error(`listener ${name}: only socket_address is supported`);
  const s = (c.settings ?? {}) as Obj;
  const readPolicy = (s.read_policy ?? "MASTER") as RedisReadPolicy;
  if (!READ_POLICIES.has(readPolicy)) throw new Error(`${where}: unsupported read_policy ${s.read_policy}`);
  const pr = (c.prefix_routes ?? {}) as Obj;
  const routes = ((pr.routes ?? []) as Obj[]).map((r, i) => ({
    prefix: String(r.prefix ?? ""),
    removePrefix: r.remove_prefix === true,
    ...target(r, `${where}.prefix_routes.routes[${i}]`),
  }));
  const faults: RedisFaultConfig[] = ((c.faults ?? []) as Obj[]).map((f, i) => {
    const w = `${where}.faults[${i}]`;
    const type = f.fault_type ?? "ERROR";
    if (type !== "ERROR" && type !== "DELAY") throw new Error(`${w}: unsupported fault_type ${type}`);
    return {
      type,
      percentage: percent(f.fault_enabled, w),
      delayMs: f.delay === undefined ? 0 : durationMs(f.delay, `${w}.delay`),
      commands: ((f.commands ?? []) as unknown[]).map((x) => String(x).toLowerCase()),
    };
  });
  const passwords = ((c.downstream_auth_passwords ?? []) as Obj[]).map((p, i) => inline(p, `${where}.downstream_auth_passwords[${i}]`)!);
  const legacy = inline(c.downstream_auth_password, `${where}.downstream_auth_password`);
  if (legacy !== undefined) passwords.push(legacy);
  if (passwords.length > 1) throw new Error(`${where}: only one downstream password is supported`);
  const username = inline(c.downstream_auth_username, `${where}.downstream_auth_username`);
  const redis: RedisListenerConfig = {
    routes,
    ...(pr.catch_all_route && { catchAll: target(pr.catch_all_route as Obj, `${where}.prefix_routes.catch_all_route`) }),
    caseInsensitive: pr.case_insensitive === true,
    opTimeoutMs: s.op_timeout === undefined ? 0 : durationMs(s.op_timeout, `${where}.settings.op_timeout`),
    enableCommandStats: s.enable_command_stats === true,
    maxBufferSizeBeforeFlush: Number(s.max_buffer_size_before_flush ?? 0),
    bufferFlushTimeoutMs: s.buffer_flush_timeout === undefined ? 3 : durationMs(s.buffer_flush_timeout, `${where}.settings.buffer_flush_timeout`),
    enableHashtagging: s.enable_hashtagging === true,
    enableRedirection: s.enable_redirection === true,
    readPolicy,
    ...(passwords[0] !== undefined && { downstreamAuth: { password: passwords[0], ...(username !== undefined && { username }) } }),
    faults,
  };
  if (routes.length === 0 && redis.catchAll === undefined) throw new Error(`${where}: no routes and no catch_all_route`);
  const accessLog = decodeAccessLog(c.access_log, where);
  return {
    name,
    address: { host: sa.address, port: Number(sa.port_value ?? 0) },
    codec: "redis",
    routeConfigName: name,
    statPrefix: typeof c.stat_prefix === "string" ? c.stat_prefix : name,
    redis,
    ...(accessLog && { accessLog }),
  };
}

/** Adds the Redis facts a cluster carries (upstream auth, cluster mode) to its decoded config. */
export function decodeRedisCluster(c: Obj, out: ClusterConfig): void {
  const where = `cluster ${out.name}`;
  const options = (c.typed_extension_protocol_options ?? {}) as Record<string, Obj>;
  const opt = options[REDIS_PROXY_FILTER];
  const meta = c.metadata?.filter_metadata?.["meshsim.dev"] ? ((fromStruct(c.metadata.filter_metadata["meshsim.dev"]) as Obj).redis as Obj | undefined) : undefined;
  if (!opt && !meta) return;
  const redis: NonNullable<ClusterConfig["redis"]> = { mode: "proxy" };
  if (opt) {
    const o = typedStruct(opt, REDIS_OPTIONS_TYPE, `${where}: typed_extension_protocol_options`);
    const password = inline(o.auth_password, `${where}: auth_password`);
    const username = inline(o.auth_username, `${where}: auth_username`);
    if (password !== undefined) redis.auth = { password, ...(username !== undefined && { username }) };
  }
  if (meta) {
    const mode = String(meta.mode ?? "PROXY").toUpperCase();
    if (mode !== "PROXY" && mode !== "CLUSTER") throw new Error(`${where}: unsupported redis mode ${meta.mode}`);
    redis.mode = mode === "CLUSTER" ? "cluster" : "proxy";
    const seeds: Endpoint[] = ((meta.discovery_endpoints ?? []) as unknown[]).map((e) => {
      const m = /^(.*):(\d+)$/.exec(String(e));
      if (!m) throw new Error(`${where}: discovery endpoint ${JSON.stringify(e)} is not host:port`);
      return { host: m[1]!, port: Number(m[2]) };
    });
    if (seeds.length > 0) redis.discoveryEndpoints = seeds;
  }
  out.redis = redis;
}
