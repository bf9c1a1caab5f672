/**
 * What Envoy's native filters cannot express, found in the resources before anything runs. The
 * Envoy translation leaves these parts out; this list is how they are reported instead of
 * passing silently. Each entry names the resource field and the Envoy capability that is
 * missing, so a user can check the claim against Envoy's API reference.
 *
 * The filters: thrift_proxy (route match on method/service name and THeader headers; cluster or
 * weighted_clusters; request_mirror_policies), dubbo_proxy (interface, method, attachments;
 * cluster or weighted_clusters), redis_proxy (prefix routes, mirrors, faults, read policy, auth).
 */
import type { InputProblem } from "../../../common/errors.ts";
import type { FieldPath } from "../../../common/yaml-source.ts";
import type { Resource } from "../../resources/kinds.ts";
import type { TrafficPolicySpec } from "../../resources/destination-rule.ts";
import type { MetaRouter } from "../../resources/meta-router.ts";
import { resourceLabel } from "../../resources/resource.ts";
import { ROUTE_POLICIES_ANNOTATION } from "../../resources/route-policy.ts";
import { isKafkaPort } from "../kafka.ts";
import { metaProtocolOfPort, metaProtocolServices } from "../meta-protocol-services.ts";
import { kafkaHosts } from "./native-listener.ts";

export interface UnsupportedFeature {
  resource: Resource;
  path: FieldPath;
  /** Which Envoy capability is missing, in a sentence. */
  reason: string;
}

export const REDIS_CLUSTER_MODE = "meshsim does not translate Redis cluster mode to Envoy's envoy.clusters.redis cluster type yet";

/** The meta protocols that have a native Envoy filter in the official build. */
export const ENVOY_META_PROTOCOLS: ReadonlySet<string> = new Set(["thrift", "dubbo"]);

const REASON = {
  kafka:
    "the official Envoy build has no kafka_broker or kafka_mesh filter (contrib only), and tcp_proxy cannot rewrite the broker addresses in Metadata responses, so clients would dial the brokers directly",
  otherProtocol: (app: string) => `Envoy has no native filter for "${app}" (Aeraki's meta_protocol_proxy is not part of upstream Envoy)`,
  thriftMatch: "thrift_proxy matches method and service names exactly (RouteMatch.method_name / service_name); prefix and regex apply only to THeader headers",
  dubboInterfaceRegex: "dubbo_proxy matches the interface exactly or with a leading/trailing '*' (RouteConfiguration.interface); no regular expressions",
  dubboVersion: "dubbo_proxy matches the service version exactly (RouteConfiguration.version); no prefix or regex",
  dubboMirror: "dubbo_proxy's RouteAction has no request mirror policy",
  mutation: (filter: string) => `${filter} routes cannot add headers or attachments (no request/response_headers_to_add in its RouteAction)`,
  timeout: (filter: string) => `${filter}'s RouteAction has no timeout; only the cluster's connect timeout applies`,
  retries: (filter: string) => `${filter} has no retry policy`,
  fault: (filter: string) => `Envoy has no fault-injection filter for ${filter} (envoy.filters.http.fault is HTTP only)`,
  localRateLimit: (filter: string) => `${filter} has no per-request local rate limit filter (envoy.filters.network.local_ratelimit counts connections, not requests)`,
  globalRateLimit: (app: string) =>
    app === "thrift"
      ? "thrift_proxy's rate limit filter (envoy.filters.thrift.rate_limit) needs route rate_limits actions, which meshsim does not generate yet"
      : "dubbo_proxy has no rate limit filter",
  maxRequests: (filter: string) =>
    `${filter} holds one pooled TCP connection per request, so Envoy enforces only max_connections and max_pending_requests (http1MaxPendingRequests); max_requests is never checked`,
  consistentHash: (filter: string) => `${filter} routes carry no hash policy, so a ring-hash or Maglev cluster would have no request key to hash`,
  authorization: "upstream Envoy has no dubbo_proxy filter that authorizes by interface or method (envoy.filters.network.rbac sees connections, not Dubbo calls)",
  redisCluster: REDIS_CLUSTER_MODE,
} as const;

function filterOf(app: string): string {
  return `${app}_proxy`;
}

/** Application protocol of each MetaProtocol host (first port wins), and the Kafka hosts. */
function protocolsByHost(resources: readonly Resource[]): { meta: Map<string, string>; kafka: Set<string> } {
  const meta = new Map<string, string>();
  for (const s of metaProtocolServices(resources)) if (!meta.has(s.host)) meta.set(s.host, s.applicationProtocol);
  return { meta, kafka: kafkaHosts(resources) };
}

function routerFeatures(router: MetaRouter, app: string, out: UnsupportedFeature[]): void {
  const filter = filterOf(app);
  const add = (path: FieldPath, reason: string) => out.push({ resource: router, path, reason });
  router.spec.routes.forEach((route, i) => {
    const base: FieldPath = ["spec", "routes", i];
    for (const [key, m] of Object.entries(route.match?.attributes ?? {})) {
      const form = "exact" in m ? "exact" : "prefix" in m ? "prefix" : "regex";
      if (app === "thrift" && (key === "method" || key === "service") && form !== "exact") add([...base, "match", "attributes", key, form], REASON.thriftMatch);
      if (app === "dubbo" && key === "interface" && form === "regex") add([...base, "match", "attributes", key, form], REASON.dubboInterfaceRegex);
      if (app === "dubbo" && key === "version" && form !== "exact") add([...base, "match", "attributes", key, form], REASON.dubboVersion);
    }
    if (route.mirror && app === "dubbo") add([...base, "mirror"], REASON.dubboMirror);
    if (route.requestMutation.length > 0) add([...base, "requestMutation"], REASON.mutation(filter));
    if (route.responseMutation.length > 0) add([...base, "responseMutation"], REASON.mutation(filter));
    const policy = route.policy;
    const policyPath: FieldPath = ["metadata", "annotations", ROUTE_POLICIES_ANNOTATION];
    if (policy?.timeoutMs !== undefined) add(policyPath, `${route.name ?? `route ${i}`}.timeout: ${REASON.timeout(filter)}`);
    if (policy?.retries) add(policyPath, `${route.name ?? `route ${i}`}.retries: ${REASON.retries(filter)}`);
    if (policy?.fault?.abort || policy?.fault?.delay) add(policyPath, `${route.name ?? `route ${i}`}.fault: ${REASON.fault(filter)}`);
  });
  if (router.spec.localRateLimit) add(["spec", "localRateLimit"], REASON.localRateLimit(filter));
  if (router.spec.globalRateLimit) add(["spec", "globalRateLimit"], REASON.globalRateLimit(app));
}

/** Every part of `resources` that an Envoy sidecar cannot carry out, in resource order. */
export function envoyUnsupported(resources: readonly Resource[]): UnsupportedFeature[] {
  const out: UnsupportedFeature[] = [];
  const { meta, kafka } = protocolsByHost(resources);
  for (const r of resources) {
    switch (r.kind) {
      case "ServiceEntry":
        r.spec.ports.forEach((port, i) => {
          const app = metaProtocolOfPort(port.name);
          if (isKafkaPort(port)) out.push({ resource: r, path: ["spec", "ports", i, "name"], reason: REASON.kafka });
          else if (app && !ENVOY_META_PROTOCOLS.has(app)) out.push({ resource: r, path: ["spec", "ports", i, "name"], reason: REASON.otherProtocol(app) });
        });
        break;
      case "MetaRouter": {
        const host = r.spec.hosts[0] ?? "";
        const app = meta.get(host);
        if (app && ENVOY_META_PROTOCOLS.has(app) && !kafka.has(host)) routerFeatures(r, app, out);
        break;
      }
      case "DestinationRule": {
        const app = meta.get(r.spec.host);
        if (!app || !ENVOY_META_PROTOCOLS.has(app)) break;
        const hashed = [r.spec.trafficPolicy, ...r.spec.subsets.map((s) => s.trafficPolicy)].some(
          (tp) => tp?.loadBalancer?.consistentHash || tp?.portLevelSettings?.some((p) => p.loadBalancer?.consistentHash),
        );
        if (hashed) out.push({ resource: r, path: ["spec"], reason: REASON.consistentHash(filterOf(app)) });
        const policies: Array<[FieldPath, TrafficPolicySpec | undefined]> = [
          [["spec", "trafficPolicy"], r.spec.trafficPolicy],
          ...r.spec.subsets.map((s, i): [FieldPath, TrafficPolicySpec | undefined] => [["spec", "subsets", i, "trafficPolicy"], s.trafficPolicy]),
        ];
        for (const [path, tp] of policies) {
          const levels: Array<[FieldPath, Omit<TrafficPolicySpec, "portLevelSettings"> | undefined]> = [
            [path, tp],
            ...(tp?.portLevelSettings ?? []).map((p, i): [FieldPath, Omit<TrafficPolicySpec, "portLevelSettings">] => [[...path, "portLevelSettings", i], p]),
          ];
          for (const [at, level] of levels) {
            if (level?.connectionPool?.http?.http2MaxRequests !== undefined) {
              out.push({ resource: r, path: [...at, "connectionPool", "http", "http2MaxRequests"], reason: REASON.maxRequests(filterOf(app)) });
            }
          }
        }
        break;
      }
      case "DubboAuthorizationPolicy":
        out.push({ resource: r, path: ["spec"], reason: REASON.authorization });
        break;
      case "RedisDestination":
        if (r.spec.trafficPolicy?.connectionPool?.redis?.mode === "CLUSTER") {
          out.push({ resource: r, path: ["spec", "trafficPolicy", "connectionPool", "redis", "mode"], reason: REASON.redisCluster });
        }
        break;
      default:
        break;
    }
  }
  return out;
}

/** `file:line:col: Kind/name path: not supported on envoy: <reason>`, as InvalidInputError prints it. */
export function unsupportedProblem(u: UnsupportedFeature): InputProblem {
  const { line, column } = u.resource.source.locate(u.path);
  return {
    file: u.resource.source.file,
    line,
    column,
    resource: resourceLabel(u.resource),
    path: u.path.join("."),
    message: `not supported on envoy: ${u.reason}`,
  };
}
