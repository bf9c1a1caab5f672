/**
 * The bootstrap meshsim writes for an Envoy sidecar: a node that announces itself as Envoy (so
 * the control plane serves it Envoy-native listeners, bound where the simulator redirects the
 * client), ADS over gRPC to meshsim's control plane for every resource type, and the admin
 * interface on loopback.
 */
import { isIP } from "node:net";
import { DATA_PLANE_METADATA, LISTENER_HOST_METADATA, LISTENER_PORTS_METADATA } from "../../../control-plane/xds/data-plane-caches.ts";

export interface EnvoyBootstrapOptions {
  nodeId: string;
  cluster: string;
  xdsAddress: { host: string; port: number };
  /** Listener name → loopback port (see EnvoyNodeOptions.listenerPorts). */
  listenerPorts: Record<string, number>;
  /** Extra node metadata (e.g. CLIENT, NAMESPACE). */
  metadata?: Record<string, string>;
  /**
   * Where listeners and the admin interface bind (default 127.0.0.1; 0.0.0.0 in a container, whose
   * namespace is the boundary and whose ports the engine publishes), and the admin port (default any).
   */
  bindHost?: string;
  adminPort?: number;
}

const ADS = { ads: {}, resource_api_version: "V3" };

export function envoyBootstrap(o: EnvoyBootstrapOptions): Record<string, unknown> {
  return {
    node: {
      id: o.nodeId,
      cluster: o.cluster,
      metadata: { ...o.metadata, [DATA_PLANE_METADATA]: "envoy", [LISTENER_PORTS_METADATA]: o.listenerPorts, ...(o.bindHost !== undefined && { [LISTENER_HOST_METADATA]: o.bindHost }) },
    },
    admin: { address: { socket_address: { address: o.bindHost ?? "127.0.0.1", port_value: o.adminPort ?? 0 } } },
    dynamic_resources: {
      ads_config: { api_type: "GRPC", transport_api_version: "V3", grpc_services: [{ envoy_grpc: { cluster_name: "meshsim-xds" } }] },
      cds_config: ADS,
      lds_config: ADS,
    },
    static_resources: {
      clusters: [
        {
          name: "meshsim-xds",
          // A name (the control plane's alias on a container network) needs resolving.
          type: isIP(o.xdsAddress.host) ? "STATIC" : "STRICT_DNS",
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
