/**
 * Service ports (+ DestinationRule subsets) → EDS clusters, with the DestinationRule's load
 * balancer, connection pool (as circuit breakers) and outlier detection in Envoy's encoding.
 */
import type { Subset } from "../resources/destination-rule.ts";
import type { Resource } from "../resources/kinds.ts";
import { duration, type EnvoyCluster } from "./envoy-types.ts";
import { outboundClusterName, routedServices } from "./meta-protocol-services.ts";
import { indexOf } from "./index-cache.ts";
import { perService } from "./service-memo.ts";
import { destinationRuleFor, effectivePolicy } from "./traffic-policy.ts";

export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 5;

/** The subsets the DestinationRules for `host` define, in declaration order. */
export function subsetsFor(resources: readonly Resource[], host: string): Subset[] {
  return indexOf(resources).subsets.get(host) ?? [];
}

function edsCluster(resources: readonly Resource[], host: string, port: number, subset: Subset | undefined): EnvoyCluster {
  const name = outboundClusterName(port, subset?.name ?? "", host);
  const policy = effectivePolicy(destinationRuleFor(resources, host), port, subset);
  const cluster: EnvoyCluster = {
    name,
    type: "EDS",
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: "V3" }, service_name: name },
    connect_timeout: policy.connectionPool?.tcp?.connectTimeoutMs !== undefined ? duration(policy.connectionPool.tcp.connectTimeoutMs) : { seconds: DEFAULT_CONNECT_TIMEOUT_SECONDS },
    lb_policy: "ROUND_ROBIN",
  };
  const lb = policy.loadBalancer;
  if (lb?.consistentHash) {
    if (lb.consistentHash.maglev) {
      cluster.lb_policy = "MAGLEV";
      if (lb.consistentHash.maglev.tableSize !== undefined) cluster.maglev_lb_config = { table_size: { value: lb.consistentHash.maglev.tableSize } };
    } else {
      cluster.lb_policy = "RING_HASH";
      if (lb.consistentHash.minimumRingSize !== undefined) cluster.ring_hash_lb_config = { minimum_ring_size: { value: lb.consistentHash.minimumRingSize } };
    }
  } else if (lb?.simple === "LEAST_CONN" || lb?.simple === "LEAST_REQUEST") cluster.lb_policy = "LEAST_REQUEST";
  else if (lb?.simple === "RANDOM") cluster.lb_policy = "RANDOM";
  const cp = policy.connectionPool;
  const thresholds: Record<string, { value: number }> = {};
  if (cp?.tcp?.maxConnections !== undefined) thresholds.max_connections = { value: cp.tcp.maxConnections };
  if (cp?.http?.http1MaxPendingRequests !== undefined) thresholds.max_pending_requests = { value: cp.http.http1MaxPendingRequests };
  if (cp?.http?.http2MaxRequests !== undefined) thresholds.max_requests = { value: cp.http.http2MaxRequests };
  if (cp?.http?.maxRetries !== undefined) thresholds.max_retries = { value: cp.http.maxRetries };
  if (Object.keys(thresholds).length > 0) cluster.circuit_breakers = { thresholds: [thresholds] };
  const od = policy.outlierDetection;
  if (od) {
    cluster.outlier_detection = {
      ...(od.consecutiveErrors !== undefined && { consecutive_5xx: { value: od.consecutiveErrors } }),
      ...(od.intervalMs !== undefined && { interval: duration(od.intervalMs) }),
      ...(od.baseEjectionTimeMs !== undefined && { base_ejection_time: duration(od.baseEjectionTimeMs) }),
      ...(od.maxEjectionPercent !== undefined && { max_ejection_percent: { value: od.maxEjectionPercent } }),
    };
  }
  return cluster;
}

export function translateClusters(resources: readonly Resource[]): EnvoyCluster[] {
  const out: EnvoyCluster[] = [];
  for (const svc of routedServices(resources)) {
    const clusters = perService(resources, svc, "clusters", () => [
      edsCluster(resources, svc.host, svc.port.number, undefined),
      ...subsetsFor(resources, svc.host).map((subset) => edsCluster(resources, svc.host, svc.port.number, subset)),
    ]);
    out.push(...clusters);
  }
  return out;
}
