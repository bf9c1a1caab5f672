/**
 * `meshsim explain`: what a sidecar does with one request, and why. The answer comes from the
 * proxy's own pieces — its route table (first match wins, each matcher evaluated on its own to
 * say which condition failed), its Redis prefix router, and the matchers of its rate-limit and
 * authorization filters — run against a sidecar's configuration. Provenance adds the file:line
 * of the resource field behind each piece.
 */
import type { AttributeMatch, ClusterConfig, ListenerConfig, RouteEntry } from "../../proxy/config/types.ts";
import type { Metadata } from "../../proxy/codec/codec.ts";
import { RouteTable } from "../../proxy/route/route-table.ts";
import { compileAttributeMatch } from "../../proxy/route/attribute-matcher.ts";
import { firstMatchingCondition } from "../../proxy/filters/local-rate-limit.ts";
import { authorize, compileAuthorization } from "../../proxy/filters/authorization.ts";
import { RedisRouter } from "../../proxy/protocols/redis/router.ts";
import { commandInfo } from "../../proxy/protocols/redis/commands.ts";
import { parseOutboundClusterName } from "../../control-plane/translate/meta-protocol-services.ts";
import { MeshsimError } from "../../common/errors.ts";
import type { SidecarConfig } from "./sidecar-config.ts";
import { NO_PROVENANCE, type Location, type Provenance } from "./provenance.ts";

export interface ExplainRequest {
  /** Checked against the listener's codec; absent: whatever the listener speaks. */
  protocol?: string;
  host: string;
  port?: number;
  /** The metadata the protocol's codec would decode from the request (method, interface, key, topic, headers ...). */
  metadata: Record<string, string>;
}

export interface ConditionResult {
  attribute: string;
  /** e.g. `exact "getUser"`, `prefix "get"`, `regex "list[A-Z]+"`, `present`. */
  expected: string;
  /** The request's value, or null when it has none. */
  actual: string | null;
  held: boolean;
  at?: Location;
}

export interface RouteResult {
  name: string;
  matched: boolean;
  /** Every condition of a route that matched; for the others, why each did or did not hold. */
  conditions: ConditionResult[];
  at?: Location;
}

export interface EndpointResult {
  address: string;
  at?: Location;
}

export interface DestinationResult {
  cluster: string;
  host?: string;
  port?: number;
  subset?: string;
  /** Percent of matching requests (weights normalised over the route's positive weights). */
  share: number;
  at?: Location;
  subsetAt?: Location;
  /** Set when the sidecar has no such cluster: requests sent here get a local reply. */
  missing?: string;
  endpoints: EndpointResult[];
  /** Cluster-level policies: load balancer, circuit breaker, outlier detection. */
  policies: PolicyResult[];
}

export interface PolicyResult {
  kind:
    | "authorization"
    | "local rate limit"
    | "global rate limit"
    | "fault"
    | "retries"
    | "timeout"
    | "mirror"
    | "hash"
    | "request mutation"
    | "response mutation"
    | "load balancer"
    | "circuit breaker"
    | "outlier detection"
    | "redis";
  /** Whether it acts on this request (a rate limit whose match fails, for example, does not). */
  applies: boolean;
  detail: string;
  at?: Location;
}

export interface Explanation {
  request: { protocol: string; host: string; port: number; metadata: Record<string, string> };
  listener: { name: string; codec: string; at?: Location };
  /** Routes tried in order, up to the one that matched. */
  routes: RouteResult[];
  route?: { name: string; at?: Location; destinations: DestinationResult[] };
  /** Listener filters first (in the order they run), then the route's own policies. */
  policies: PolicyResult[];
  /** One line: where the request goes, or the local reply it gets. */
  outcome: string;
  /** Resources the sidecar would reject, which may make the answer differ from the intent. */
  rejected: string[];
}

function describeMatch(m: AttributeMatch): string {
  return m.kind === "present" ? "present" : `${m.kind} ${JSON.stringify(m.value)}`;
}

function listenerFor(config: SidecarConfig, req: ExplainRequest): ListenerConfig {
  const candidates = config.listeners.filter((l) => l.name.startsWith(`${req.host}_`) && /^\d+$/.test(l.name.slice(req.host.length + 1)));
  const known = () =>
    config.listeners
      .map((l) => l.name)
      .sort()
      .join(", ") || "none";
  if (candidates.length === 0) throw new MeshsimError("INVALID_INPUT", `no listener for host ${req.host} (listeners: ${known()})`);
  const listener = req.port !== undefined ? candidates.find((l) => l.name === `${req.host}_${req.port}`) : candidates.length === 1 ? candidates[0] : undefined;
  if (!listener) {
    const ports = candidates.map((l) => l.name.slice(req.host.length + 1)).join(", ");
    throw new MeshsimError(
      "INVALID_INPUT",
      req.port !== undefined ? `host ${req.host} has no port ${req.port} (ports: ${ports})` : `host ${req.host} has several ports (${ports}): name one with --port`,
    );
  }
  if (req.protocol !== undefined && listener.codec !== req.protocol) {
    throw new MeshsimError("INVALID_INPUT", `${listener.name} speaks ${listener.codec}, not ${req.protocol}`);
  }
  return listener;
}

export function explain(config: SidecarConfig, req: ExplainRequest, provenance: Provenance = NO_PROVENANCE): Explanation {
  const listener = listenerFor(config, req);
  const port = Number(listener.name.slice(req.host.length + 1));
  const metadata: Metadata = new Map(Object.entries(req.metadata));
  const out: Explanation = {
    request: { protocol: listener.codec, host: req.host, port, metadata: req.metadata },
    listener: { name: listener.name, codec: listener.codec, ...withAt(provenance.serviceHost(req.host)) },
    routes: [],
    policies: [],
    outcome: "",
    rejected: config.rejected,
  };
  if (listener.redis) return explainRedis(config, listener, metadata, out, provenance);
  const denied = listenerPolicies(listener, metadata, out, provenance);
  const table = config.routes.find((r) => r.name === listener.routeConfigName);
  if (!table) {
    out.outcome = `no route configuration ${listener.routeConfigName}: local reply no_route`;
    return out;
  }
  const trials = new RouteTable(table).trials(metadata);
  const routeAt = (name: string) => provenance.route(req.host, name);
  out.routes = trials.map((t) => ({
    name: t.route.name,
    matched: t.matched,
    conditions: t.matchers.map((m) => ({
      attribute: m.match.name,
      expected: describeMatch(m.match),
      actual: metadata.get(m.match.name) ?? null,
      held: m.held,
      ...withAt(routeAt(t.route.name)?.condition(m.match.name)),
    })),
    ...withAt(routeAt(t.route.name)?.at),
  }));
  const chosen = trials.find((t) => t.matched)?.route;
  if (!chosen) {
    out.outcome = denied ?? "no route matches: local reply no_route";
    return out;
  }
  const rp = routeAt(chosen.name);
  out.route = { name: chosen.name, ...withAt(rp?.at), destinations: destinations(config, chosen, provenance, (j) => rp?.destination(j)) };
  routePolicies(chosen, out, rp);
  const missing = out.route.destinations.filter((d) => d.missing).map((d) => `${d.cluster} (${formatShare(d.share)})`);
  const routed = `route ${chosen.name} → ${out.route.destinations.map((d) => `${d.cluster} (${formatShare(d.share)})`).join(", ")}`;
  out.outcome = denied ?? (missing.length > 0 ? `${routed}; the sidecar has no cluster ${missing.join(", ")}: those requests get local reply no_cluster` : routed);
  return out;
}

export function formatShare(share: number): string {
  return `${Number(share.toFixed(2))}%`;
}

function withAt(at: Location | undefined): { at?: Location } {
  return at ? { at } : {};
}

/** Authorization and rate limits on the listener; returns the local reply when a filter stops the request for sure. */
function listenerPolicies(listener: ListenerConfig, metadata: Metadata, out: Explanation, provenance: Provenance): string | undefined {
  const host = out.request.host;
  let stopped: string | undefined;
  if (listener.authorization && listener.authorization.length > 0) {
    const decision = authorize(compileAuthorization(listener.authorization), metadata);
    if (!decision.allowed) stopped = `${decision.reason}: local reply unauthorized`;
    out.policies.push({
      kind: "authorization",
      applies: true,
      detail: `${decision.allowed ? "allowed" : "denied"}: ${decision.reason}`,
      ...withAt(decision.policy ? provenance.authorizationPolicy(decision.policy) : undefined),
    });
  }
  const local = listener.localRateLimit;
  if (local) {
    const conditions = local.conditions.map((c) => ({ predicates: c.match.map(compileAttributeMatch), bucket: c.tokenBucket }));
    const i = firstMatchingCondition(conditions, metadata);
    const bucket = i >= 0 ? conditions[i]!.bucket : local.tokenBucket;
    out.policies.push({
      kind: "local rate limit",
      applies: bucket !== undefined,
      detail: bucket
        ? `${i >= 0 ? `condition ${i} (${local.conditions[i]!.match.map((m) => `${m.name} ${describeMatch(m)}`).join(", ")})` : "default bucket"}: ${bucket.maxTokens} tokens, ${bucket.tokensPerFill} every ${bucket.fillIntervalMs} ms`
        : "no condition matches and there is no default bucket: not limited",
      ...withAt(provenance.localRateLimit(host, i)),
    });
  }
  const global = listener.globalRateLimit;
  if (global) {
    const failed = (global.match ?? []).find((m) => !compileAttributeMatch(m)(metadata));
    const missing = global.descriptors.find((d) => !metadata.has(d.property));
    const applies = !failed && !missing && global.descriptors.length > 0;
    out.policies.push({
      kind: "global rate limit",
      applies,
      detail: failed
        ? `not checked: match ${failed.name} ${describeMatch(failed)} fails`
        : missing
          ? `not checked: the request has no ${missing.property} for descriptor ${missing.key}`
          : `asks ${global.rateLimitServiceCluster} (domain ${global.domain}, descriptors ${global.descriptors.map((d) => `${d.key}=${metadata.get(d.property)}`).join(", ")}), ${global.denyOnFail ? "denies" : "allows"} when it fails`,
      ...withAt(provenance.globalRateLimit(host)),
    });
  }
  return stopped;
}

function destinations(config: SidecarConfig, route: RouteEntry, provenance: Provenance, destinationAt: (j: number) => Location | undefined): DestinationResult[] {
  const list = route.action.kind === "cluster" ? [{ name: route.action.cluster, weight: 1 }] : route.action.clusters;
  const total = list.reduce((a, c) => a + Math.max(0, c.weight), 0);
  return list.map((c, j) => {
    const parts = parseOutboundClusterName(c.name);
    const cluster = config.clusters.find((x) => x.name === c.name);
    const endpoints = config.endpoints.find((e) => e.clusterName === c.name)?.endpoints ?? [];
    const subsetAt = parts?.subset ? provenance.subset(parts.host, parts.subset) : undefined;
    return {
      cluster: c.name,
      ...(parts && { host: parts.host, port: parts.port, ...(parts.subset && { subset: parts.subset }) }),
      share: total > 0 ? (Math.max(0, c.weight) / total) * 100 : 0,
      ...withAt(destinationAt(j)),
      ...(subsetAt && { subsetAt }),
      endpoints: endpoints.map((e) => ({ address: `${e.host}:${e.port}`, ...withAt(parts && provenance.endpoint(parts.host, parts.subset, e.host, e.port)) })),
      policies: cluster ? clusterPolicies(cluster, parts, provenance) : [],
      ...(!cluster && { missing: `the sidecar has no cluster ${c.name}: local reply no_cluster` }),
    };
  });
}

function clusterPolicies(c: ClusterConfig, parts: ReturnType<typeof parseOutboundClusterName>, provenance: Provenance): PolicyResult[] {
  const at = (group: "loadBalancer" | "connectionPool" | "outlierDetection") => withAt(parts && provenance.policyGroup(parts.host, parts.port, parts.subset, group));
  const out: PolicyResult[] = [
    { kind: "load balancer", applies: true, detail: `${c.lbPolicy}${c.minimumRingSize !== undefined ? ` (minimum ring size ${c.minimumRingSize})` : ""}`, ...at("loadBalancer") },
  ];
  const cb = c.circuitBreakers;
  if (cb && Object.keys(cb).length > 0) {
    out.push({
      kind: "circuit breaker",
      applies: true,
      detail: Object.entries(cb)
        .map(([k, v]) => `${k} ${v}`)
        .join(", "),
      ...at("connectionPool"),
    });
  }
  const od = c.outlierDetection;
  if (od) {
    out.push({
      kind: "outlier detection",
      applies: true,
      detail: `eject after ${od.consecutiveErrors} consecutive errors for ${od.baseEjectionTimeMs} ms (every ${od.intervalMs} ms, at most ${od.maxEjectionPercent}%)`,
      ...at("outlierDetection"),
    });
  }
  return out;
}

function routePolicies(route: RouteEntry, out: Explanation, rp: ReturnType<Provenance["route"]>): void {
  const policyAt = (field: "timeout" | "retries" | "fault") => withAt(rp?.policy(field));
  const { fault, retries } = route;
  if (fault?.abort)
    out.policies.push({
      kind: "fault",
      applies: true,
      detail: `abort ${fault.abort.percentage}% with ${fault.abort.errorKind}${fault.abort.message ? ` ("${fault.abort.message}")` : ""}`,
      ...policyAt("fault"),
    });
  if (fault?.delay) out.policies.push({ kind: "fault", applies: true, detail: `delay ${fault.delay.percentage}% by ${fault.delay.fixedDelayMs} ms`, ...policyAt("fault") });
  if (route.timeoutMs !== undefined) out.policies.push({ kind: "timeout", applies: true, detail: `${route.timeoutMs} ms for the whole request, retries included`, ...policyAt("timeout") });
  if (retries) {
    const detail = `${retries.attempts} on ${retries.retryOn.join(", ")}${retries.perTryTimeoutMs !== undefined ? `, ${retries.perTryTimeoutMs} ms per try` : ""}${retries.budget !== undefined ? `, budget ${retries.budget}` : ""}`;
    out.policies.push({ kind: "retries", applies: true, detail, ...policyAt("retries") });
  }
  if (route.mirror) out.policies.push({ kind: "mirror", applies: true, detail: `${route.mirror.percentage}% copied to ${route.mirror.cluster}`, ...withAt(rp?.mirror()) });
  if (route.hashPolicy)
    out.policies.push({
      kind: "hash",
      applies: true,
      detail: `consistent hash on ${route.hashPolicy.join(", ")} = ${route.hashPolicy.map((k) => JSON.stringify(out.request.metadata[k] ?? null)).join(", ")}`,
    });
  if (route.requestMutation)
    out.policies.push({ kind: "request mutation", applies: true, detail: route.requestMutation.map((m) => `${m.key}=${m.value}`).join(", "), ...withAt(rp?.requestMutation()) });
  if (route.responseMutation)
    out.policies.push({ kind: "response mutation", applies: true, detail: route.responseMutation.map((m) => `${m.key}=${m.value}`).join(", "), ...withAt(rp?.responseMutation()) });
}

/** Redis: the longest matching key prefix wins (the proxy's RedisRouter), else the catch-all. */
function explainRedis(config: SidecarConfig, listener: ListenerConfig, metadata: Metadata, out: Explanation, provenance: Provenance): Explanation {
  const redis = listener.redis!;
  const host = out.request.host;
  const key = metadata.get("key");
  const command = (metadata.get("command") ?? "").toLowerCase();
  if (key === undefined) throw new MeshsimError("INVALID_INPUT", "redis: name the key with --key (commands without a key go to every route's cluster)");
  const bytes = Buffer.from(key);
  const router = new RedisRouter(redis);
  const chosen = router.route(bytes, 0, bytes.length);
  // The routes in the order the router tries them: longest prefix first, the catch-all last.
  const ordered = [...redis.routes].sort((a, b) => b.prefix.length - a.prefix.length);
  const { catchAll: _catchAll, ...withoutCatchAll } = redis;
  for (const r of ordered) {
    const held = new RedisRouter({ ...withoutCatchAll, routes: [r], faults: [] }).route(bytes, 0, bytes.length) !== undefined;
    out.routes.push({
      name: `prefix ${JSON.stringify(r.prefix)}`,
      matched: held,
      conditions: [
        { attribute: "key", expected: `prefix ${JSON.stringify(r.prefix)}${redis.caseInsensitive ? " (any case)" : ""}`, actual: key, held, ...withAt(provenance.redisRoute(host, r.prefix)) },
      ],
      ...withAt(provenance.redisRoute(host, r.prefix)),
    });
    if (held) break;
  }
  if (chosen && chosen.prefix.length === 0 && redis.catchAll) {
    out.routes.push({ name: "catch-all", matched: true, conditions: [], ...withAt(provenance.redisRoute(host, undefined)) });
  }
  if (!chosen) {
    out.outcome = "no prefix matches and there is no catch-all route: local reply ERR no upstream host";
    return out;
  }
  const last = out.routes[out.routes.length - 1]!;
  const route: RouteEntry = { name: last.name, match: [], action: { kind: "cluster", cluster: chosen.cluster } };
  out.route = { name: last.name, ...withAt(last.at), destinations: destinations(config, route, provenance, () => undefined) };
  if (chosen.removePrefix) out.policies.push({ kind: "redis", applies: true, detail: "the prefix is removed from the key before forwarding", ...withAt(last.at) });
  for (const m of chosen.mirrors) {
    const applies = !(m.excludeReadCommands && isReadCommand(command));
    out.policies.push({ kind: "mirror", applies, detail: `${m.percentage}% copied to ${m.cluster}${m.excludeReadCommands ? " (write commands only)" : ""}`, ...withAt(last.at) });
  }
  redis.faults.forEach((f, i) => {
    const applies = f.commands.length === 0 || f.commands.includes(command);
    out.policies.push({
      kind: "fault",
      applies,
      detail: `${f.type === "ERROR" ? "error" : `delay ${f.delayMs} ms`} on ${f.percentage}% of ${f.commands.length > 0 ? f.commands.join(", ") : "every command"}${applies ? "" : ` (not ${command || "this command"})`}`,
      ...withAt(provenance.redisFault(host, i)),
    });
  });
  if (redis.opTimeoutMs > 0) out.policies.push({ kind: "timeout", applies: true, detail: `${redis.opTimeoutMs} ms per command` });
  if (redis.readPolicy !== "MASTER") out.policies.push({ kind: "redis", applies: isReadCommand(command), detail: `reads go to ${redis.readPolicy}` });
  out.outcome = `${last.name} → ${chosen.cluster}`;
  return out;
}

function isReadCommand(command: string): boolean {
  return commandInfo(command)?.read === true;
}
