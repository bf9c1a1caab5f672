/**
 * Istio DestinationRule, the parts meta protocols use: subsets by labels and the traffic policy
 * (load balancer incl. consistent hashing on a metadata key, connection pool → circuit breakers,
 * outlier detection), at the top, per port and per subset. A subset's policy overrides the
 * top-level one field group by field group, as in Istio.
 */
import type { FieldPath } from "../../common/yaml-source.ts";
import type { FieldReader } from "./field-reader.ts";
import type { ResourceMetadata, TypedResource } from "./resource.ts";

export const DESTINATION_RULE_API_VERSIONS = ["networking.istio.io/v1alpha3", "networking.istio.io/v1beta1", "networking.istio.io/v1"] as const;

export const SIMPLE_LB = ["UNSPECIFIED", "ROUND_ROBIN", "LEAST_CONN", "LEAST_REQUEST", "RANDOM", "PASSTHROUGH"] as const;

export interface LoadBalancerSpec {
  simple?: (typeof SIMPLE_LB)[number];
  consistentHash?: {
    /** Aeraki: the metadata key (attribute) whose value is hashed. */
    httpHeaderName?: string;
    /** `maglev` selects Maglev; otherwise a ring hash. */
    maglev?: { tableSize?: number };
    minimumRingSize?: number;
  };
}

export interface ConnectionPoolSpec {
  tcp?: { maxConnections?: number; connectTimeoutMs?: number };
  http?: { http1MaxPendingRequests?: number; http2MaxRequests?: number; maxRequestsPerConnection?: number; maxRetries?: number };
}

export interface OutlierDetectionSpec {
  /** `consecutiveErrors` (deprecated in Istio) or `consecutive5xxErrors`: errors before ejection. */
  consecutiveErrors?: number;
  intervalMs?: number;
  baseEjectionTimeMs?: number;
  maxEjectionPercent?: number;
}

export interface TrafficPolicySpec {
  loadBalancer?: LoadBalancerSpec;
  connectionPool?: ConnectionPoolSpec;
  outlierDetection?: OutlierDetectionSpec;
  portLevelSettings?: Array<{ port: number } & Omit<TrafficPolicySpec, "portLevelSettings">>;
}

export interface Subset {
  name: string;
  labels: Record<string, string>;
  trafficPolicy?: TrafficPolicySpec;
}

export interface DestinationRuleSpec {
  /** Fully qualified: a short name (`reviews`) is read in the rule's namespace, as Istio does. */
  host: string;
  subsets: Subset[];
  trafficPolicy?: TrafficPolicySpec;
  exportTo?: string[];
}

export type DestinationRule = TypedResource<"DestinationRule", DestinationRuleSpec>;

function parseLoadBalancer(raw: unknown, path: FieldPath, r: FieldReader): LoadBalancerSpec | undefined {
  const lb = r.object(raw, path, false);
  if (!lb) return undefined;
  const out: LoadBalancerSpec = {};
  const simple = r.oneOf(lb.simple, [...path, "simple"], SIMPLE_LB, false);
  if (simple) out.simple = simple;
  const ch = r.object(lb.consistentHash, [...path, "consistentHash"], false);
  if (ch) {
    const cp = [...path, "consistentHash"];
    if (simple) r.problem(path, "has both simple and consistentHash");
    for (const key of ["httpCookie", "useSourceIp", "httpQueryParameterName"]) {
      if (ch[key] !== undefined) r.problem([...cp, key], "not supported for meta protocols: hash on a metadata key with httpHeaderName");
    }
    const httpHeaderName = r.string(ch.httpHeaderName, [...cp, "httpHeaderName"], false);
    const minimumRingSize =
      r.integer(ch.minimumRingSize, [...cp, "minimumRingSize"], false, 1) ??
      r.integer(r.object(ch.ringHash, [...cp, "ringHash"], false)?.minimumRingSize, [...cp, "ringHash", "minimumRingSize"], false, 1);
    const maglevObj = r.object(ch.maglev, [...cp, "maglev"], false);
    const tableSize = maglevObj ? r.integer(maglevObj.tableSize, [...cp, "maglev", "tableSize"], false, 1) : undefined;
    if (maglevObj && ch.ringHash !== undefined) r.problem(cp, "has both ringHash and maglev");
    out.consistentHash = {
      ...(httpHeaderName !== undefined && { httpHeaderName }),
      ...(minimumRingSize !== undefined && { minimumRingSize }),
      ...(maglevObj && { maglev: tableSize !== undefined ? { tableSize } : {} }),
    };
  }
  return out;
}

function parseConnectionPool(raw: unknown, path: FieldPath, r: FieldReader): ConnectionPoolSpec | undefined {
  const cp = r.object(raw, path, false);
  if (!cp) return undefined;
  const out: ConnectionPoolSpec = {};
  const tcp = r.object(cp.tcp, [...path, "tcp"], false);
  if (tcp) {
    const maxConnections = r.integer(tcp.maxConnections, [...path, "tcp", "maxConnections"], false, 1);
    const connectTimeoutMs = r.duration(tcp.connectTimeout, [...path, "tcp", "connectTimeout"], false);
    out.tcp = { ...(maxConnections !== undefined && { maxConnections }), ...(connectTimeoutMs !== undefined && { connectTimeoutMs }) };
  }
  const http = r.object(cp.http, [...path, "http"], false);
  if (http) {
    const hp = [...path, "http"];
    const pick = (k: string) => r.integer(http[k], [...hp, k], false, 1);
    const v = {
      http1MaxPendingRequests: pick("http1MaxPendingRequests"),
      http2MaxRequests: pick("http2MaxRequests"),
      maxRequestsPerConnection: pick("maxRequestsPerConnection"),
      maxRetries: r.integer(http.maxRetries, [...hp, "maxRetries"], false, 0),
    };
    out.http = Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined));
  }
  return out;
}

function parseOutlierDetection(raw: unknown, path: FieldPath, r: FieldReader): OutlierDetectionSpec | undefined {
  const od = r.object(raw, path, false);
  if (!od) return undefined;
  const errors = r.integer(od.consecutive5xxErrors, [...path, "consecutive5xxErrors"], false, 0);
  const legacy = r.integer(od.consecutiveErrors, [...path, "consecutiveErrors"], false, 0);
  if (errors !== undefined && legacy !== undefined) r.problem([...path, "consecutiveErrors"], "use either consecutiveErrors or consecutive5xxErrors, not both");
  const consecutiveErrors = errors ?? legacy;
  const intervalMs = r.duration(od.interval, [...path, "interval"], false);
  const baseEjectionTimeMs = r.duration(od.baseEjectionTime, [...path, "baseEjectionTime"], false);
  const maxEjectionPercent = r.integer(od.maxEjectionPercent, [...path, "maxEjectionPercent"], false, 0, 100);
  return {
    ...(consecutiveErrors !== undefined && { consecutiveErrors }),
    ...(intervalMs !== undefined && { intervalMs }),
    ...(baseEjectionTimeMs !== undefined && { baseEjectionTimeMs }),
    ...(maxEjectionPercent !== undefined && { maxEjectionPercent }),
  };
}

function parsePolicyGroups(tp: Record<string, unknown>, path: FieldPath, r: FieldReader): Omit<TrafficPolicySpec, "portLevelSettings"> {
  const loadBalancer = parseLoadBalancer(tp.loadBalancer, [...path, "loadBalancer"], r);
  const connectionPool = parseConnectionPool(tp.connectionPool, [...path, "connectionPool"], r);
  const outlierDetection = parseOutlierDetection(tp.outlierDetection, [...path, "outlierDetection"], r);
  return {
    ...(loadBalancer && { loadBalancer }),
    ...(connectionPool && { connectionPool }),
    ...(outlierDetection && { outlierDetection }),
  };
}

export function parseTrafficPolicy(raw: unknown, path: FieldPath, r: FieldReader): TrafficPolicySpec | undefined {
  const tp = r.object(raw, path, false);
  if (!tp) return undefined;
  const out: TrafficPolicySpec = parsePolicyGroups(tp, path, r);
  const pls = r.array(tp.portLevelSettings, [...path, "portLevelSettings"], false);
  if (pls) {
    out.portLevelSettings = [];
    pls.forEach((raw, i) => {
      const pp = [...path, "portLevelSettings", i];
      const p = r.object(raw, pp, true);
      if (!p) return;
      const port = r.integer(r.object(p.port, [...pp, "port"], true)?.number, [...pp, "port", "number"], true, 1, 65535);
      if (port !== undefined) out.portLevelSettings!.push({ port, ...parsePolicyGroups(p, pp, r) });
    });
  }
  return out;
}

/** Istio's reading of a short host name: `reviews` in namespace `ns` is `reviews.ns.svc.cluster.local`. */
export function qualifyHost(host: string, namespace: string): string {
  return host === "" || host.includes(".") || host.includes("*") ? host : `${host}.${namespace}.svc.cluster.local`;
}

export function parseDestinationRuleSpec(spec: Record<string, unknown>, r: FieldReader, metadata?: ResourceMetadata): DestinationRuleSpec {
  const host = qualifyHost(r.string(spec.host, ["spec", "host"], true) ?? "", metadata?.namespace ?? "default");
  const subsets: Subset[] = [];
  const seen = new Set<string>();
  (r.array(spec.subsets, ["spec", "subsets"], false) ?? []).forEach((raw, i) => {
    const path = ["spec", "subsets", i];
    const s = r.object(raw, path, true);
    if (!s) return;
    const name = r.string(s.name, [...path, "name"], true);
    const labels = r.stringMap(s.labels, [...path, "labels"]);
    const trafficPolicy = parseTrafficPolicy(s.trafficPolicy, [...path, "trafficPolicy"], r);
    if (name === undefined) return;
    if (seen.has(name)) r.problem([...path, "name"], `duplicate subset "${name}"`);
    seen.add(name);
    subsets.push({ name, labels, ...(trafficPolicy && { trafficPolicy }) });
  });
  const trafficPolicy = parseTrafficPolicy(spec.trafficPolicy, ["spec", "trafficPolicy"], r);
  const exportTo = r.stringList(spec.exportTo, ["spec", "exportTo"], false);
  return { host, subsets, ...(trafficPolicy && { trafficPolicy }), ...(exportTo.length > 0 && { exportTo }) };
}
