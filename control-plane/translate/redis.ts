/**
 * Redis services (ServiceEntry ports named `tcp-redis` or `tcp-redis-*`, as Aeraki and Istio
 * name them) → what Envoy's redis_proxy needs:
 *
 * - a listener `<host>_<port>` with `envoy.filters.network.redis_proxy`, its RedisProxy config
 *   as a TypedStruct (prefix_routes with catch_all_route and request_mirror_policy, settings,
 *   downstream auth, faults) from the RedisService whose `host` lists the service;
 * - an EDS cluster `outbound|<port>||<host>` per Redis service, with the RedisDestination's
 *   connection pool, upstream auth as Envoy's RedisProtocolOptions (typed_extension_protocol_options)
 *   and, meshsim's extension, `metadata.filter_metadata["meshsim.dev"].redis` {mode, discovery_endpoints};
 * - its endpoints, and an empty route configuration of the listener's name (proxies subscribe
 *   to one per listener; Redis routes live in the listener itself, as in Envoy).
 *
 * Secret-based auth needs a Kubernetes secret store, which the control plane does not have yet:
 * only `plain` auth is translated.
 */
import { accessLogFor } from "./telemetry.ts";
import type { Resource } from "../resources/kinds.ts";
import type { RedisDestination } from "../resources/redis-destination.ts";
import type { RedisAuth, RedisDestinationRef, RedisService } from "../resources/redis-service.ts";
import type { ServiceEntry, ServicePort } from "../resources/service-entry.ts";
import { duration, durationString, TYPED_STRUCT_TYPE_URL, type EnvoyCluster, type EnvoyClusterLoadAssignment, type EnvoyListener, type EnvoyRouteConfiguration } from "./envoy-types.ts";
import { DEFAULT_CONNECT_TIMEOUT_SECONDS } from "./cluster.ts";
import { outboundClusterName, routeConfigName } from "./meta-protocol-services.ts";
import { listenAddress } from "./listener.ts";

export const REDIS_PROXY_FILTER = "envoy.filters.network.redis_proxy";
export const REDIS_PROXY_TYPE_URL = "type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProxy";
export const REDIS_PROTOCOL_OPTIONS_TYPE_URL = "type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProtocolOptions";
const DEFAULT_OP_TIMEOUT_MS = 5000;

const REDIS_PORT_NAME = /^tcp-redis(-.*)?$/i;

export function isRedisPort(port: ServicePort): boolean {
  return REDIS_PORT_NAME.test(port.name) || port.protocol?.toUpperCase() === "REDIS";
}

export interface RedisServicePort {
  host: string;
  port: ServicePort;
  serviceEntry: ServiceEntry;
}

/** One entry per host and Redis port, sorted by host then port. */
export function redisServices(resources: readonly Resource[]): RedisServicePort[] {
  const out: RedisServicePort[] = [];
  const seen = new Set<string>();
  for (const r of resources) {
    if (r.kind !== "ServiceEntry") continue;
    for (const host of r.spec.hosts) {
      for (const port of r.spec.ports) {
        const key = `${host}:${port.number}`;
        if (!isRedisPort(port) || seen.has(key)) continue;
        seen.add(key);
        out.push({ host, port, serviceEntry: r });
      }
    }
  }
  return out.sort((a, b) => (a.host === b.host ? a.port.number - b.port.number : a.host < b.host ? -1 : 1));
}

/** A cluster with the fields only Redis clusters carry. */
export type RedisEnvoyCluster = EnvoyCluster & {
  typed_extension_protocol_options?: Record<string, { "@type": typeof TYPED_STRUCT_TYPE_URL; type_url: string; value: Record<string, unknown> }>;
  metadata?: { filter_metadata: Record<string, Record<string, unknown>> };
};

export interface RedisTranslation {
  clusters: RedisEnvoyCluster[];
  endpoints: EnvoyClusterLoadAssignment[];
  listeners: EnvoyListener[];
  routes: EnvoyRouteConfiguration[];
}

function destinationFor(resources: readonly Resource[], host: string): RedisDestination | undefined {
  for (const r of resources) if (r.kind === "RedisDestination" && r.spec.host === host) return r;
  return undefined;
}

function serviceFor(resources: readonly Resource[], host: string): RedisService | undefined {
  for (const r of resources) if (r.kind === "RedisService" && r.spec.hosts.includes(host)) return r;
  return undefined;
}

function plainAuth(auth: RedisAuth | undefined): { password: string; username?: string } | undefined {
  return auth && "plain" in auth ? auth.plain : undefined;
}

function cluster(resources: readonly Resource[], svc: RedisServicePort): RedisEnvoyCluster {
  const name = outboundClusterName(svc.port.number, "", svc.host);
  const pool = destinationFor(resources, svc.host)?.spec.trafficPolicy?.connectionPool;
  const out: RedisEnvoyCluster = {
    name,
    type: "EDS",
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: "V3" }, service_name: name },
    connect_timeout: pool?.tcp?.connectTimeoutMs !== undefined ? duration(pool.tcp.connectTimeoutMs) : { seconds: DEFAULT_CONNECT_TIMEOUT_SECONDS },
    lb_policy: "ROUND_ROBIN",
  };
  if (pool?.tcp?.maxConnections !== undefined) out.circuit_breakers = { thresholds: [{ max_connections: { value: pool.tcp.maxConnections } }] };
  const auth = plainAuth(pool?.redis?.auth);
  if (auth) {
    out.typed_extension_protocol_options = {
      [REDIS_PROXY_FILTER]: {
        "@type": TYPED_STRUCT_TYPE_URL,
        type_url: REDIS_PROTOCOL_OPTIONS_TYPE_URL,
        value: { auth_password: { inline_string: auth.password }, ...(auth.username && { auth_username: { inline_string: auth.username } }) },
      },
    };
  }
  if (pool?.redis) {
    out.metadata = {
      filter_metadata: {
        "meshsim.dev": { redis: { mode: pool.redis.mode, discovery_endpoints: pool.redis.discoveryEndpoints } },
      },
    };
  }
  return out;
}

function endpoints(svc: RedisServicePort): EnvoyClusterLoadAssignment {
  const name = outboundClusterName(svc.port.number, "", svc.host);
  const addresses = svc.serviceEntry.spec.endpoints.map((e) => ({ address: e.address, port: e.ports[svc.port.name] ?? svc.port.targetPort ?? svc.port.number }));
  return {
    cluster_name: name,
    endpoints: addresses.length === 0 ? [] : [{ lb_endpoints: addresses.map((a) => ({ endpoint: { address: { socket_address: { address: a.address, port_value: a.port } } } })) }],
  };
}

function percent(p: number | undefined): { numerator: number; denominator: "HUNDRED" | "MILLION" } {
  const value = p ?? 100;
  return Number.isInteger(value) ? { numerator: value, denominator: "HUNDRED" } : { numerator: Math.round(value * 10_000), denominator: "MILLION" };
}

function listener(resources: readonly Resource[], svc: RedisServicePort, all: RedisServicePort[]): EnvoyListener {
  const name = routeConfigName(svc.host, svc.port.number);
  const statPrefix = `outbound|${svc.port.number}||${svc.host}`;
  const own = outboundClusterName(svc.port.number, "", svc.host);
  const rs = serviceFor(resources, svc.host);
  const clusterOf = (ref: RedisDestinationRef): string => {
    const port = ref.port ?? all.find((s) => s.host === ref.host)?.port.number ?? svc.port.number;
    return outboundClusterName(port, "", ref.host);
  };
  const mirrorsOf = (m: RedisService["spec"]["routes"][number]["mirror"]) =>
    m.map((x) => ({ cluster: clusterOf(x.route), runtime_fraction: { default_value: percent(x.percentage) }, exclude_read_commands: x.excludeReadCommands }));
  const routes: Array<Record<string, unknown>> = [];
  let catchAll: Record<string, unknown> = { cluster: own };
  for (const r of rs?.spec.routes ?? []) {
    const target = { cluster: r.route ? clusterOf(r.route) : own, ...(r.mirror.length > 0 && { request_mirror_policy: mirrorsOf(r.mirror) }) };
    if (r.match) routes.push({ prefix: r.match.key.prefix, remove_prefix: r.match.key.removePrefix, ...target });
    else catchAll = target;
  }
  const s = rs?.spec.settings;
  const settings: Record<string, unknown> = {
    op_timeout: durationString(s?.opTimeoutMs ?? DEFAULT_OP_TIMEOUT_MS),
    ...(s?.enableCommandStats !== undefined && { enable_command_stats: s.enableCommandStats }),
    ...(s?.maxBufferSizeBeforeFlush !== undefined && { max_buffer_size_before_flush: s.maxBufferSizeBeforeFlush }),
    ...(s?.bufferFlushTimeoutMs !== undefined && { buffer_flush_timeout: durationString(s.bufferFlushTimeoutMs) }),
    ...(s?.enableHashtagging !== undefined && { enable_hashtagging: s.enableHashtagging }),
    ...(s?.enableRedirection !== undefined && { enable_redirection: s.enableRedirection }),
    ...(s?.readPolicy !== undefined && { read_policy: s.readPolicy }),
  };
  const auth = plainAuth(s?.auth);
  const accessLog = accessLogFor(resources, svc.host, svc.serviceEntry);
  const value: Record<string, unknown> = {
    stat_prefix: statPrefix,
    settings,
    prefix_routes: { routes, case_insensitive: s?.caseInsensitive ?? false, catch_all_route: catchAll },
    ...(auth && { downstream_auth_passwords: [{ inline_string: auth.password }] }),
    ...(auth?.username && { downstream_auth_username: { inline_string: auth.username } }),
    ...(rs &&
      rs.spec.faults.length > 0 && {
        faults: rs.spec.faults.map((f) => ({
          fault_type: f.type,
          fault_enabled: { default_value: percent(f.percentage) },
          ...(f.delayMs !== undefined && { delay: durationString(f.delayMs) }),
          commands: f.commands,
        })),
      }),
    ...(accessLog && { access_log: accessLog }),
  };
  return {
    name,
    address: { socket_address: { address: listenAddress(svc.serviceEntry.spec.addresses), port_value: svc.port.number } },
    traffic_direction: "OUTBOUND",
    filter_chains: [{ filters: [{ name: REDIS_PROXY_FILTER, typed_config: { "@type": TYPED_STRUCT_TYPE_URL, type_url: REDIS_PROXY_TYPE_URL, value } }] }],
  };
}

export function translateRedis(resources: readonly Resource[]): RedisTranslation {
  const services = redisServices(resources);
  return {
    clusters: services.map((s) => cluster(resources, s)),
    endpoints: services.map(endpoints),
    listeners: services.map((s) => listener(resources, s, services)),
    routes: services.map((s) => ({ name: routeConfigName(s.host, s.port.number), virtual_hosts: [] })),
  };
}
