/**
 * Aeraki RedisDestination (redis.aeraki.io/v1alpha1): connection pool and Redis mode (proxy or
 * cluster), auth and discovery endpoints for one Redis host. Parsed and validated; translation
 * comes with the Redis proxy work.
 */
import type { FieldReader } from "./field-reader.ts";
import { parseRedisAuth, type RedisAuth } from "./redis-service.ts";
import type { TypedResource } from "./resource.ts";

export interface RedisDestinationSpec {
  host: string;
  trafficPolicy?: {
    connectionPool?: {
      tcp?: { maxConnections?: number; connectTimeoutMs?: number };
      redis?: { mode: "PROXY" | "CLUSTER"; auth?: RedisAuth; discoveryEndpoints: string[] };
    };
  };
}

export type RedisDestination = TypedResource<"RedisDestination", RedisDestinationSpec>;

export function parseRedisDestinationSpec(spec: Record<string, unknown>, r: FieldReader): RedisDestinationSpec {
  const host = r.string(spec.host, ["spec", "host"], true) ?? "";
  const out: RedisDestinationSpec = { host };
  const tp = r.object(spec.trafficPolicy, ["spec", "trafficPolicy"], false);
  if (!tp) return out;
  out.trafficPolicy = {};
  const base = ["spec", "trafficPolicy", "connectionPool"];
  const cp = r.object(tp.connectionPool, base, false);
  if (!cp) return out;
  out.trafficPolicy.connectionPool = {};
  const tcp = r.object(cp.tcp, [...base, "tcp"], false);
  if (tcp) {
    const maxConnections = r.integer(tcp.maxConnections, [...base, "tcp", "maxConnections"], false, 1);
    const connectTimeoutMs = r.duration(tcp.connectTimeout, [...base, "tcp", "connectTimeout"], false);
    out.trafficPolicy.connectionPool.tcp = { ...(maxConnections !== undefined && { maxConnections }), ...(connectTimeoutMs !== undefined && { connectTimeoutMs }) };
  }
  const redis = r.object(cp.redis, [...base, "redis"], false);
  if (redis) {
    const mode = r.oneOf(redis.mode ?? "PROXY", [...base, "redis", "mode"], ["PROXY", "CLUSTER"] as const, true) ?? "PROXY";
    const auth = parseRedisAuth(redis.auth, [...base, "redis", "auth"], r);
    const discoveryEndpoints = r.stringList(redis.discoveryEndpoints, [...base, "redis", "discoveryEndpoints"], false);
    out.trafficPolicy.connectionPool.redis = { mode, discoveryEndpoints, ...(auth && { auth }) };
  }
  return out;
}
