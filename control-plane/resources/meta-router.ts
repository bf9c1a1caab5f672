/**
 * Aeraki MetaRouter (metaprotocol.aeraki.io/v1alpha1): routes for one MetaProtocol host,
 * matching on request metadata attributes and sending to weighted destinations, with mirroring,
 * request/response mutation, and local and global rate limits. The meshsim extension (timeouts,
 * retries, fault injection per route) is read from an annotation; see route-policy.ts.
 */
import type { FieldPath } from "../../common/yaml-source.ts";
import type { FieldReader } from "./field-reader.ts";
import { parseMatch, type AttributesMatch, type StringMatch } from "./match.ts";
import type { ResourceMetadata, TypedResource } from "./resource.ts";
import { parseRoutePolicies, type RoutePolicy } from "./route-policy.ts";

export const META_ROUTER_API_VERSIONS = ["metaprotocol.aeraki.io/v1alpha1"] as const;

export type { StringMatch, AttributesMatch };

export interface Destination {
  host: string;
  subset?: string;
  port?: { number: number };
}

export interface RouteDestination {
  destination: Destination;
  weight?: number;
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface MetaRoute {
  name?: string;
  match?: AttributesMatch;
  route: RouteDestination[];
  mirror?: Destination;
  /** Percent of requests mirrored; absent = 100 when `mirror` is set. */
  mirrorPercentage?: number;
  requestMutation: KeyValue[];
  responseMutation: KeyValue[];
  /** meshsim extension, from the `meshsim.dev/route-policies` annotation. */
  policy?: RoutePolicy;
}

export interface TokenBucketSpec {
  maxTokens?: number;
  /** Aeraki: defaults to 1 when absent. */
  tokensPerFill?: number;
  fillIntervalMs?: number;
}

export interface LocalRateLimitSpec {
  tokenBucket?: TokenBucketSpec;
  conditions: Array<{ match?: AttributesMatch; tokenBucket?: TokenBucketSpec }>;
}

export interface GlobalRateLimitSpec {
  match?: AttributesMatch;
  domain?: string;
  /** Aeraki: 20 ms when absent. */
  requestTimeoutMs?: number;
  denyOnFail: boolean;
  /** The rate-limit service's cluster, e.g. `outbound|8081||rate-limit-server.ns.svc.cluster.local`. */
  rateLimitService?: string;
  descriptors: Array<{ property: string; descriptorKey: string }>;
}

export interface MetaRouterSpec {
  hosts: string[];
  gateways: string[];
  routes: MetaRoute[];
  localRateLimit?: LocalRateLimitSpec;
  globalRateLimit?: GlobalRateLimitSpec;
  exportTo: string[];
}

export type MetaRouter = TypedResource<"MetaRouter", MetaRouterSpec>;

export function parseDestination(raw: unknown, path: FieldPath, r: FieldReader): Destination | undefined {
  const dest = r.object(raw, path, true);
  if (!dest) return undefined;
  const host = r.string(dest.host, [...path, "host"], true);
  const subset = r.string(dest.subset, [...path, "subset"], false);
  const portObj = r.object(dest.port, [...path, "port"], false);
  const portNumber = portObj ? r.integer(portObj.number, [...path, "port", "number"], true, 1, 65535) : undefined;
  if (host === undefined) return undefined;
  return { host, ...(subset && { subset }), ...(portNumber !== undefined && { port: { number: portNumber } }) };
}

function parseKeyValues(raw: unknown, path: FieldPath, r: FieldReader): KeyValue[] {
  const out: KeyValue[] = [];
  (r.array(raw, path, false) ?? []).forEach((item, i) => {
    const kv = r.object(item, [...path, i], true);
    if (!kv) return;
    // Aeraki requires both; an empty key or value is a problem, not a silent no-op.
    const key = r.string(kv.key, [...path, i, "key"], true);
    const value = r.string(kv.value, [...path, i, "value"], true);
    if (key !== undefined && value !== undefined) out.push({ key, value });
  });
  return out;
}

export function parseTokenBucket(raw: unknown, path: FieldPath, r: FieldReader): TokenBucketSpec | undefined {
  const tb = r.object(raw, path, true);
  if (!tb) return undefined;
  const maxTokens = r.integer(tb.maxTokens, [...path, "maxTokens"], true, 1);
  const tokensPerFill = r.integer(tb.tokensPerFill, [...path, "tokensPerFill"], false, 1);
  const fillIntervalMs = r.duration(tb.fillInterval, [...path, "fillInterval"], true);
  if (fillIntervalMs !== undefined && fillIntervalMs <= 0) r.problem([...path, "fillInterval"], "must be greater than 0");
  return {
    ...(maxTokens !== undefined && { maxTokens }),
    ...(tokensPerFill !== undefined && { tokensPerFill }),
    ...(fillIntervalMs !== undefined && { fillIntervalMs }),
  };
}

function parseLocalRateLimit(raw: unknown, path: FieldPath, r: FieldReader): LocalRateLimitSpec | undefined {
  const l = r.object(raw, path, false);
  if (!l) return undefined;
  const out: LocalRateLimitSpec = { conditions: [] };
  if (l.tokenBucket !== undefined) {
    const tb = parseTokenBucket(l.tokenBucket, [...path, "tokenBucket"], r);
    if (tb) out.tokenBucket = tb;
  }
  (r.array(l.conditions, [...path, "conditions"], false) ?? []).forEach((c, i) => {
    const cp = [...path, "conditions", i];
    const cond = r.object(c, cp, true);
    if (!cond) return;
    const match = parseMatch(cond.match, [...cp, "match"], r, true);
    const tokenBucket = parseTokenBucket(cond.tokenBucket, [...cp, "tokenBucket"], r);
    out.conditions.push({ ...(match && { match }), ...(tokenBucket && { tokenBucket }) });
  });
  // Early Aeraki releases (and some of its demos) wrote conditions as `descriptors[].entries[]`
  // of key/value pairs; they mean exact matches on those attributes.
  (r.array(l.descriptors, [...path, "descriptors"], false) ?? []).forEach((d, i) => {
    const dp = [...path, "descriptors", i];
    const desc = r.object(d, dp, true);
    if (!desc) return;
    const attributes: Record<string, StringMatch> = {};
    (r.array(desc.entries, [...dp, "entries"], true) ?? []).forEach((e, j) => {
      const entry = r.object(e, [...dp, "entries", j], true);
      if (!entry) return;
      const key = r.string(entry.key, [...dp, "entries", j, "key"], true);
      const value = r.string(entry.value, [...dp, "entries", j, "value"], false) ?? "";
      if (key !== undefined) attributes[key] = { exact: value };
    });
    const tokenBucket = parseTokenBucket(desc.tokenBucket, [...dp, "tokenBucket"], r);
    out.conditions.push({ match: { attributes }, ...(tokenBucket && { tokenBucket }) });
  });
  if (!out.tokenBucket && out.conditions.length === 0) r.problem(path, "needs a tokenBucket or at least one condition");
  return out;
}

function parseGlobalRateLimit(raw: unknown, path: FieldPath, r: FieldReader): GlobalRateLimitSpec | undefined {
  const g = r.object(raw, path, false);
  if (!g) return undefined;
  const match = parseMatch(g.match, [...path, "match"], r, false);
  const domain = r.string(g.domain, [...path, "domain"], true);
  const requestTimeoutMs = r.duration(g.requestTimeout, [...path, "requestTimeout"], false);
  const denyOnFail = r.boolean(g.denyOnFail, [...path, "denyOnFail"]) ?? false;
  const rateLimitService = r.string(g.rateLimitService, [...path, "rateLimitService"], true);
  const descriptors: GlobalRateLimitSpec["descriptors"] = [];
  (r.array(g.descriptors, [...path, "descriptors"], true) ?? []).forEach((d, i) => {
    const dp = [...path, "descriptors", i];
    const desc = r.object(d, dp, true);
    if (!desc) return;
    const property = r.string(desc.property, [...dp, "property"], true);
    const descriptorKey = r.string(desc.descriptorKey, [...dp, "descriptorKey"], true);
    if (property !== undefined && descriptorKey !== undefined) descriptors.push({ property, descriptorKey });
  });
  return {
    ...(match && { match }),
    ...(domain !== undefined && { domain }),
    ...(requestTimeoutMs !== undefined && { requestTimeoutMs }),
    denyOnFail,
    ...(rateLimitService !== undefined && { rateLimitService }),
    descriptors,
  };
}

export function parseMetaRouterSpec(spec: Record<string, unknown>, r: FieldReader, metadata: ResourceMetadata): MetaRouterSpec {
  const hosts = r.stringList(spec.hosts, ["spec", "hosts"], true);
  const gateways = r.stringList(spec.gateways, ["spec", "gateways"], false);
  const exportTo = r.stringList(spec.exportTo, ["spec", "exportTo"], false);
  const routes: MetaRoute[] = [];
  (r.array(spec.routes, ["spec", "routes"], false) ?? []).forEach((raw, i) => {
    const path = ["spec", "routes", i];
    const route = r.object(raw, path, true);
    if (!route) return;
    const name = r.string(route.name, [...path, "name"], false);
    const out: MetaRoute = {
      route: [],
      requestMutation: parseKeyValues(route.requestMutation, [...path, "requestMutation"], r),
      responseMutation: parseKeyValues(route.responseMutation, [...path, "responseMutation"], r),
      ...(name !== undefined && { name }),
    };
    const match = parseMatch(route.match, [...path, "match"], r);
    if (match) out.match = match;
    (r.array(route.route, [...path, "route"], true) ?? []).forEach((rawDest, j) => {
      const destPath = [...path, "route", j];
      const d = r.object(rawDest, destPath, true);
      if (!d) return;
      const destination = parseDestination(d.destination, [...destPath, "destination"], r);
      const weight = r.integer(d.weight, [...destPath, "weight"], false, 0, 100);
      if (destination) out.route.push({ destination, ...(weight !== undefined && { weight }) });
    });
    if (route.mirror !== undefined) {
      const mirror = parseDestination(route.mirror, [...path, "mirror"], r);
      if (mirror) out.mirror = mirror;
    }
    const mp = r.object(route.mirrorPercentage, [...path, "mirrorPercentage"], false);
    if (mp) {
      const value = r.number(mp.value, [...path, "mirrorPercentage", "value"], true, 0, 100, true);
      if (value !== undefined) out.mirrorPercentage = value;
    }
    routes.push(out);
  });
  const localRateLimit = parseLocalRateLimit(spec.localRateLimit, ["spec", "localRateLimit"], r);
  const globalRateLimit = parseGlobalRateLimit(spec.globalRateLimit, ["spec", "globalRateLimit"], r);
  const policies = parseRoutePolicies(metadata.annotations ?? {}, r);
  for (const [routeName, policy] of policies) {
    const target = routes.find((rt) => rt.name === routeName);
    if (target) target.policy = policy.policy;
    else policy.reader.problem(policy.path, `no route named "${routeName}" in spec.routes`);
  }
  return {
    hosts,
    gateways,
    routes,
    exportTo,
    ...(localRateLimit && { localRateLimit }),
    ...(globalRateLimit && { globalRateLimit }),
  };
}
