/**
 * What a sidecar holds, in the proxy's own configuration model: listeners, route tables,
 * clusters and endpoints. `meshsim explain` reads requests against it, however it was obtained:
 * translated from resources exactly as the control plane serves them and decoded exactly as the
 * proxy's xDS client decodes them, or read from a live proxy's /config_dump.
 */
import type { ClusterConfig, ClusterLoadAssignment, ListenerConfig, RouteConfig } from "../../proxy/config/types.ts";
import { decodeAny, encodeAny, TYPE_URL } from "../../common/envoy-protos.ts";
import { decodeCluster, decodeClusterLoadAssignment, decodeListener, decodeRouteConfiguration } from "../../proxy/xds/decode.ts";
import { translate } from "../../control-plane/translate/index.ts";
import type { Resource } from "../../control-plane/resources/kinds.ts";

export interface SidecarConfig {
  listeners: ListenerConfig[];
  routes: RouteConfig[];
  clusters: ClusterConfig[];
  endpoints: ClusterLoadAssignment[];
  /** Resources the proxy would reject (NACK), with the reason; explain names them. */
  rejected: string[];
}

/** Through the wire encoding and back, so the proxy's decoders see what they see over ADS. */
function overTheWire<T>(typeUrl: string, resource: object, decode: (o: Record<string, unknown>) => T, rejected: string[]): T[] {
  try {
    const any = encodeAny(typeUrl, resource);
    return [decode(decodeAny(any.type_url, any.value))];
  } catch (err) {
    rejected.push((err as Error).message);
    return [];
  }
}

/** The configuration a meshsim sidecar receives for these resources. */
export function configFromResources(resources: readonly Resource[]): SidecarConfig {
  const translated = translate(resources);
  const rejected: string[] = [];
  return {
    // gRPC API listeners are for gRPC clients, not for the MetaProtocol proxy.
    listeners: translated.listeners.filter((l) => !l.api_listener).flatMap((l) => overTheWire(TYPE_URL.listener, l, (o) => decodeListener(o), rejected)),
    routes: translated.routes.flatMap((r) => overTheWire(TYPE_URL.route, r, decodeRouteConfiguration, rejected)),
    clusters: translated.clusters.flatMap((c) => overTheWire(TYPE_URL.cluster, c, decodeCluster, rejected)),
    endpoints: translated.endpoints.flatMap((e) => overTheWire(TYPE_URL.endpoint, e, decodeClusterLoadAssignment, rejected)),
    rejected,
  };
}

/** A meshsim proxy's /config_dump (proxy/proxy.ts `configDump`). */
export function configFromProxyDump(dump: unknown): SidecarConfig | undefined {
  const d = dump as { listeners?: unknown; routes?: unknown; clusters?: unknown };
  if (!Array.isArray(d?.listeners) || !Array.isArray(d.routes) || !Array.isArray(d.clusters)) return undefined;
  const clusters = d.clusters as Array<ClusterConfig & { endpoints: Array<{ host: string; port: number }> }>;
  return {
    listeners: d.listeners as ListenerConfig[],
    routes: d.routes as RouteConfig[],
    clusters: clusters.map(({ endpoints: _e, ...config }) => config),
    endpoints: clusters.map((c) => ({ clusterName: c.name, endpoints: c.endpoints.map((e) => ({ host: e.host, port: e.port })) })),
    rejected: [],
  };
}
