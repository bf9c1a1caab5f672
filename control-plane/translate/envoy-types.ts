/**
 * Envoy v3 resources as plain objects, with the proto field names (snake_case) that the
 * xDS server encodes with protobufjs. Only the fields meshsim sets are typed.
 */
import type { TYPED_STRUCT_TYPE_URL } from "../../common/envoy-protos.ts";

export { TYPE_URL, TYPED_STRUCT_TYPE_URL } from "../../common/envoy-protos.ts";

export const META_PROTOCOL_PROXY_FILTER = "envoy.filters.network.meta_protocol_proxy";
export const META_PROTOCOL_PROXY_TYPE_URL = "type.googleapis.com/aeraki.meta_protocol_proxy.v1alpha.MetaProtocolProxy";
/** Aeraki's MetaProtocol filter names, as they appear in `meta_protocol_filters`. */
export const META_FILTER = {
  localRateLimit: "aeraki.meta_protocol.filters.local_ratelimit",
  globalRateLimit: "aeraki.meta_protocol.filters.ratelimit",
  /** meshsim's own (Aeraki's Dubbo authorization runs in Envoy's dubbo_proxy instead). */
  authorization: "meshsim.meta_protocol.filters.authorization",
  router: "aeraki.meta_protocol.filters.router",
} as const;
/** Route metadata namespace carrying the meshsim extension (fault, retry budget). */
export const MESHSIM_METADATA = "meshsim.dev";

export interface EnvoyDuration {
  seconds: number;
  nanos?: number;
}

export interface EnvoyCluster {
  name: string;
  /** STRICT_DNS only for Envoy, whose EDS takes IP addresses only (envoy/dns-clusters.ts). */
  type: "EDS" | "STRICT_DNS";
  eds_cluster_config?: { eds_config: { ads: Record<string, never>; resource_api_version: "V3" }; service_name: string };
  load_assignment?: EnvoyClusterLoadAssignment;
  connect_timeout: EnvoyDuration;
  lb_policy: "ROUND_ROBIN" | "LEAST_REQUEST" | "RANDOM" | "RING_HASH" | "MAGLEV";
  ring_hash_lb_config?: { minimum_ring_size: { value: number } };
  maglev_lb_config?: { table_size: { value: number } };
  circuit_breakers?: { thresholds: Array<Record<string, { value: number }>> };
  outlier_detection?: {
    consecutive_5xx?: { value: number };
    interval?: EnvoyDuration;
    base_ejection_time?: EnvoyDuration;
    max_ejection_percent?: { value: number };
  };
}

export interface EnvoySocketAddress {
  socket_address: { address: string; port_value: number };
}

export interface EnvoyLbEndpoint {
  endpoint: { address: EnvoySocketAddress };
  /** Istio's `istio.workload` ("<workload>;<namespace>;<app>;<version>;<cluster>"): who answers, for labelled metrics. */
  metadata?: { filter_metadata: { istio: { workload: string } } };
}

export interface EnvoyClusterLoadAssignment {
  cluster_name: string;
  endpoints: Array<{ lb_endpoints: EnvoyLbEndpoint[]; locality?: Record<string, string>; load_balancing_weight?: { value: number } }>;
}

/**
 * An `xds.type.v3.TypedStruct` inside an Any. `value` is plain JSON here; the encoder turns it
 * into a google.protobuf.Struct.
 */
export interface TypedStructAny {
  "@type": typeof TYPED_STRUCT_TYPE_URL;
  type_url: string;
  value: Record<string, unknown>;
}

/** Any other Any: `@type` plus the message's fields. */
export type TypedAny = { "@type": string } & Record<string, unknown>;

export interface EnvoyListener {
  name: string;
  address?: EnvoySocketAddress;
  traffic_direction?: "OUTBOUND";
  filter_chains?: Array<{ filters: Array<{ name: string; typed_config: TypedStructAny }> }>;
  /** gRPC clients' listeners: an HTTP connection manager, no socket. */
  api_listener?: { api_listener: TypedAny };
}

export type EnvoyStringMatcher = { exact: string } | { prefix: string } | { safe_regex: { regex: string } };

export type EnvoyHeaderMatcher = { name: string } & ({ string_match: EnvoyStringMatcher } | { present_match: true });

export interface EnvoyFractionalPercent {
  numerator: number;
  denominator: "HUNDRED" | "TEN_THOUSAND" | "MILLION";
}

export interface EnvoyRouteAction {
  cluster?: string;
  weighted_clusters?: { clusters: Array<{ name: string; weight: { value: number } }> };
  request_mirror_policies?: Array<{ cluster: string; runtime_fraction: { default_value: EnvoyFractionalPercent } }>;
  hash_policy?: Array<{ header: { header_name: string } }>;
  timeout?: EnvoyDuration;
  retry_policy?: { retry_on: string; num_retries: { value: number }; per_try_timeout?: EnvoyDuration };
}

export interface EnvoyHeaderValueOption {
  header: { key: string; value: string };
}

export interface EnvoyRoute {
  name: string;
  match: { prefix: string; headers?: EnvoyHeaderMatcher[] };
  route: EnvoyRouteAction;
  request_headers_to_add?: EnvoyHeaderValueOption[];
  response_headers_to_add?: EnvoyHeaderValueOption[];
  /** JSON per namespace; encoded as google.protobuf.Struct. */
  metadata?: { filter_metadata: Record<string, Record<string, unknown>> };
  typed_per_filter_config?: Record<string, TypedAny>;
}

export interface EnvoyRouteConfiguration {
  name: string;
  virtual_hosts: Array<{ name: string; domains: string[]; routes: EnvoyRoute[] }>;
}

/** Everything the control plane serves, per type, in a stable order. */
export interface EnvoyResources {
  clusters: EnvoyCluster[];
  endpoints: EnvoyClusterLoadAssignment[];
  listeners: EnvoyListener[];
  routes: EnvoyRouteConfiguration[];
  /** Envoy sidecars only: thrift_proxy route configurations (served for its `trds`). */
  thriftRoutes?: Array<{ name: string } & Record<string, unknown>>;
  /** Envoy sidecars only: dubbo_proxy multiple route configurations (served for its `drds`). */
  dubboRoutes?: Array<{ name: string } & Record<string, unknown>>;
  /**
   * Which namespaces see each service host ("*" = all), for per-proxy snapshots; hosts not listed
   * are visible everywhere. Absent when nothing is restricted.
   */
  visibility?: Record<string, string[]>;
}

export function duration(ms: number): EnvoyDuration {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  return nanos === 0 ? { seconds } : { seconds, nanos };
}

/** The protobuf JSON form of a duration ("0.100s"), for values inside a Struct. */
export function durationString(ms: number): string {
  return `${Number((ms / 1000).toFixed(9))}s`;
}
