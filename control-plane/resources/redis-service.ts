/**
 * Aeraki RedisService (redis.aeraki.io/v1alpha1): key-prefix routes to Redis hosts, mirrors,
 * faults and proxy settings. Parsed and validated; translation comes with the Redis proxy work.
 */
import type { FieldPath } from "../../common/yaml-source.ts";
import type { FieldReader } from "./field-reader.ts";
import type { TypedResource } from "./resource.ts";

export const REDIS_API_VERSIONS = ["redis.aeraki.io/v1alpha1"] as const;

export const READ_POLICIES = ["MASTER", "PREFER_MASTER", "REPLICA", "PREFER_REPLICA", "ANY"] as const;

export type RedisAuth = { secret: { name: string; passwordField?: string; usernameField?: string } } | { plain: { password: string; username?: string } };

export interface RedisDestinationRef {
  host: string;
  port?: number;
}

export interface RedisRoute {
  match?: { key: { prefix: string; removePrefix: boolean } };
  route?: RedisDestinationRef;
  mirror: Array<{ route: RedisDestinationRef; percentage?: number; excludeReadCommands: boolean }>;
}

export interface RedisFault {
  type: "DELAY" | "ERROR";
  percentage?: number;
  delayMs?: number;
  commands: string[];
}

export interface RedisServiceSpec {
  /** Aeraki's field is `host` (a list). */
  hosts: string[];
  settings?: {
    caseInsensitive?: boolean;
    opTimeoutMs?: number;
    enableCommandStats?: boolean;
    maxBufferSizeBeforeFlush?: number;
    bufferFlushTimeoutMs?: number;
    maxUpstreamUnknownConnections?: number;
    enableHashtagging?: boolean;
    enableRedirection?: boolean;
    readPolicy?: (typeof READ_POLICIES)[number];
    auth?: RedisAuth;
  };
  routes: RedisRoute[];
  faults: RedisFault[];
}

export type RedisService = TypedResource<"RedisService", RedisServiceSpec>;

export function parseRedisAuth(raw: unknown, path: FieldPath, r: FieldReader): RedisAuth | undefined {
  const a = r.object(raw, path, false);
  if (!a) return undefined;
  if ((a.secret === undefined) === (a.plain === undefined)) {
    r.problem(path, "must have exactly one of secret, plain");
    return undefined;
  }
  if (a.secret !== undefined) {
    const s = r.object(a.secret, [...path, "secret"], true);
    const name = s ? r.string(s.name, [...path, "secret", "name"], true) : undefined;
    if (!s || name === undefined) return undefined;
    const passwordField = r.string(s.passwordField, [...path, "secret", "passwordField"], false);
    const usernameField = r.string(s.usernameField, [...path, "secret", "usernameField"], false);
    return { secret: { name, ...(passwordField && { passwordField }), ...(usernameField && { usernameField }) } };
  }
  const p = r.object(a.plain, [...path, "plain"], true);
  const password = p ? r.string(p.password, [...path, "plain", "password"], true) : undefined;
  if (!p || password === undefined) return undefined;
  const username = r.string(p.username, [...path, "plain", "username"], false);
  return { plain: { password, ...(username && { username }) } };
}

function parseRef(raw: unknown, path: FieldPath, r: FieldReader): RedisDestinationRef | undefined {
  const d = r.object(raw, path, true);
  if (!d) return undefined;
  const host = r.string(d.host, [...path, "host"], true);
  const port = r.integer(d.port, [...path, "port"], false, 1, 65535);
  return host === undefined ? undefined : { host, ...(port !== undefined && { port }) };
}

function percent(raw: unknown, path: FieldPath, r: FieldReader): number | undefined {
  const p = r.object(raw, path, false);
  return p ? r.number(p.value, [...path, "value"], true, 0, 100) : undefined;
}

export function parseRedisServiceSpec(spec: Record<string, unknown>, r: FieldReader): RedisServiceSpec {
  const hosts = r.stringList(spec.host, ["spec", "host"], true);
  const out: RedisServiceSpec = { hosts, routes: [], faults: [] };
  const s = r.object(spec.settings, ["spec", "settings"], false);
  if (s) {
    const sp = ["spec", "settings"];
    const v = {
      caseInsensitive: r.boolean(s.caseInsensitive, [...sp, "caseInsensitive"]),
      opTimeoutMs: r.duration(s.opTimeout, [...sp, "opTimeout"], false),
      enableCommandStats: r.boolean(s.enableCommandStats, [...sp, "enableCommandStats"]),
      maxBufferSizeBeforeFlush: r.integer(s.maxBufferSizeBeforeFlush, [...sp, "maxBufferSizeBeforeFlush"], false),
      bufferFlushTimeoutMs: r.duration(s.bufferFlushTimeout, [...sp, "bufferFlushTimeout"], false),
      maxUpstreamUnknownConnections: r.integer(s.maxUpstreamUnknownConnections, [...sp, "maxUpstreamUnknownConnections"], false),
      enableHashtagging: r.boolean(s.enableHashtagging, [...sp, "enableHashtagging"]),
      enableRedirection: r.boolean(s.enableRedirection, [...sp, "enableRedirection"]),
      readPolicy: r.oneOf(s.readPolicy, [...sp, "readPolicy"], READ_POLICIES, false),
      auth: parseRedisAuth(s.auth, [...sp, "auth"], r),
    };
    out.settings = Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined));
  }
  (r.array(spec.redis, ["spec", "redis"], false) ?? []).forEach((raw, i) => {
    const path = ["spec", "redis", i];
    const rt = r.object(raw, path, true);
    if (!rt) return;
    const route: RedisRoute = { mirror: [] };
    const m = r.object(rt.match, [...path, "match"], false);
    if (m) {
      const key = r.object(m.key, [...path, "match", "key"], true);
      if (key) {
        const prefix = r.string(key.prefix, [...path, "match", "key", "prefix"], false) ?? "";
        route.match = { key: { prefix, removePrefix: r.boolean(key.removePrefix, [...path, "match", "key", "removePrefix"]) ?? false } };
      }
    }
    if (rt.route !== undefined) {
      const ref = parseRef(rt.route, [...path, "route"], r);
      if (ref) route.route = ref;
    }
    (r.array(rt.mirror, [...path, "mirror"], false) ?? []).forEach((mr, j) => {
      const mp = [...path, "mirror", j];
      const mo = r.object(mr, mp, true);
      if (!mo) return;
      const ref = parseRef(mo.route, [...mp, "route"], r);
      const percentage = percent(mo.percentage, [...mp, "percentage"], r);
      const excludeReadCommands = r.boolean(mo.excludeReadCommands, [...mp, "excludeReadCommands"]) ?? false;
      if (ref) route.mirror.push({ route: ref, excludeReadCommands, ...(percentage !== undefined && { percentage }) });
    });
    out.routes.push(route);
  });
  (r.array(spec.faults, ["spec", "faults"], false) ?? []).forEach((raw, i) => {
    const path = ["spec", "faults", i];
    const f = r.object(raw, path, true);
    if (!f) return;
    // Aeraki's enum default is DELAY (0).
    const type = r.oneOf(f.type ?? "DELAY", [...path, "type"], ["DELAY", "ERROR"] as const, true);
    const percentage = percent(f.percentage, [...path, "percentage"], r);
    const delayMs = r.duration(f.delay, [...path, "delay"], false);
    const commands = r.stringList(f.commands, [...path, "commands"], false);
    if (type === "DELAY" && delayMs === undefined) r.problem([...path, "delay"], "a DELAY fault needs a delay");
    if (type) out.faults.push({ type, commands, ...(percentage !== undefined && { percentage }), ...(delayMs !== undefined && { delayMs }) });
  });
  return out;
}
