/**
 * The bootstrap meshsim writes for an Envoy sidecar: a node that announces itself as Envoy (so
 * the control plane serves it Envoy-native listeners, bound where the simulator redirects the
 * client), ADS over gRPC to meshsim's control plane for every resource type, and the admin
 * interface on loopback.
 */
import { DATA_PLANE_METADATA, LISTENER_PORTS_METADATA } from "../../../control-plane/xds/data-plane-caches.ts";

export interface EnvoyBootstrapOptions {
  nodeId: string;
  cluster: string;
  xdsAddress: { host: string; port: number };
  /** Listener name → loopback port (see EnvoyNodeOptions.listenerPorts). */
  listenerPorts: Record<string, number>;
  /** Extra node metadata (e.g. CLIENT, NAMESPACE). */
  metadata?: Record<string, string>;
}

const ADS = { ads: {}, resource_api_version: "V3" };

export function envoyBootstrap(o: EnvoyBootstrapOptions): Record<string, unknown> {
  return {
    node: {
      id: o.nodeId,
      cluster: o.cluster,
      metadata: { ...o.metadata, [DATA_PLANE_METADATA]: "envoy", [LISTENER_PORTS_METADATA]: o.listenerPorts },
    },
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: 0 } } },
    dynamic_resources: {
      ads_config: { api_type: "GRPC", transport_api_version: "V3", grpc_services: [{ envoy_grpc: { cluster_name: "meshsim-xds" } }] },
      cds_config: ADS,
      lds_config: ADS,
    },
    static_resources: {
      clusters: [
        {
          name: "meshsim-xds",
          type: "STATIC",
          connect_timeout: "1s",
          typed_extension_protocol_options: {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
              "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
          load_assignment: {
            cluster_name: "meshsim-xds",
            endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: o.xdsAddress.host, port_value: o.xdsAddress.port } } } }] }],
          },
        },
      ],
    },
  };
}
