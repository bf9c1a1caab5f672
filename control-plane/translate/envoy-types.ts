/**
 * Envoy v3 resources as plain objects, with the proto field names (snake_case) that the
 * xDS server encodes with protobufjs. Only the fields meshsim sets are typed.
 */

export const TYPE_URL = {
  cluster: "type.googleapis.com/envoy.config.cluster.v3.Cluster",
  endpoint: "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
  listener: "type.googleapis.com/envoy.config.listener.v3.Listener",
  route: "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
} as const;

export const TYPED_STRUCT_TYPE_URL = "type.googleapis.com/xds.type.v3.TypedStruct";
export const META_PROTOCOL_PROXY_FILTER = "envoy.filters.network.meta_protocol_proxy";
export const META_PROTOCOL_PROXY_TYPE_URL = "type.googleapis.com/aeraki.meta_protocol_proxy.v1alpha.MetaProtocolProxy";

export interface EnvoyCluster {
  name: string;
  type: "EDS";
  eds_cluster_config: { eds_config: { ads: Record<string, never>; resource_api_version: "V3" }; service_name: string };
  connect_timeout: { seconds: number; nanos?: number };
  lb_policy: "ROUND_ROBIN";
}

export interface EnvoySocketAddress {
  socket_address: { address: string; port_value: number };
}

export interface EnvoyClusterLoadAssignment {
  cluster_name: string;
  endpoints: Array<{ lb_endpoints: Array<{ endpoint: { address: EnvoySocketAddress } }> }>;
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

export interface EnvoyListener {
  name: string;
  address: EnvoySocketAddress;
  traffic_direction: "OUTBOUND";
  filter_chains: Array<{ filters: Array<{ name: string; typed_config: TypedStructAny }> }>;
}

export type EnvoyStringMatcher = { exact: string } | { prefix: string } | { safe_regex: { regex: string } };

export type EnvoyHeaderMatcher = { name: string } & ({ string_match: EnvoyStringMatcher } | { present_match: true });

export type EnvoyRouteAction =
  | { cluster: string }
  | { weighted_clusters: { clusters: Array<{ name: string; weight: { value: number } }> } };

export interface EnvoyRoute {
  name: string;
  match: { prefix: "/"; headers?: EnvoyHeaderMatcher[] };
  route: EnvoyRouteAction;
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
}
