/**
 * Resources → the configuration an Envoy sidecar gets: the same clusters and endpoints meshsim's
 * proxy gets, and listeners with Envoy's native filters instead of Aeraki's MetaProtocol proxy —
 * thrift_proxy and dubbo_proxy taking their routes over ADS, redis_proxy as for meshsim.
 * Pure: same input, same output. Whatever these filters cannot express is left out here and
 * listed by `envoyUnsupported` (unsupported.ts).
 */
import { withKubernetesServices } from "../../resources/kubernetes-services.ts";
import type { Resource } from "../../resources/kinds.ts";
import { translateClusters } from "../cluster.ts";
import { translateEndpoints } from "../endpoint.ts";
import type { EnvoyListener, EnvoyResources } from "../envoy-types.ts";
import { kafkaHosts } from "./native-listener.ts";
import { metaProtocolServices, routeConfigName, type RoutedService } from "../meta-protocol-services.ts";
import { routersByHost, translateRoutes } from "../route.ts";
import { translateRedis } from "../redis.ts";
import { listenAddress } from "../listener.ts";
import { hostVisibility } from "../index.ts";
import { dubboListener, dubboRouteConfiguration } from "./dubbo.ts";
import { withDnsClusters } from "./dns-clusters.ts";
import { thriftListener, thriftRouteConfiguration } from "./thrift.ts";

export { envoyUnsupported, unsupportedProblem, ENVOY_META_PROTOCOLS, type UnsupportedFeature } from "./unsupported.ts";

export interface EnvoyNodeOptions {
  /**
   * Listener name → the loopback port the sidecar binds it on (the simulator's stand-in for a
   * pod's iptables redirect). Absent: listeners bind the service's own address and port, as in
   * a pod. Present: listeners not named here are left out.
   */
  listenerPorts?: Readonly<Record<string, number>>;
  /** The address those listeners bind (default 127.0.0.1; 0.0.0.0 for a sidecar in a container). */
  listenerHost?: string;
}

function bindAddress(name: string, fallback: { address: string; port: number }, options: EnvoyNodeOptions): { address: string; port: number } | undefined {
  if (!options.listenerPorts) return fallback;
  const port = options.listenerPorts[name];
  return port === undefined ? undefined : { address: options.listenerHost ?? "127.0.0.1", port };
}

export function translateForEnvoy(written: readonly Resource[], options: EnvoyNodeOptions = {}): EnvoyResources {
  const resources = withKubernetesServices(written);
  const kafka = kafkaHosts(resources);
  const services = metaProtocolServices(resources).filter((s) => !kafka.has(s.host) && (s.applicationProtocol === "thrift" || s.applicationProtocol === "dubbo"));
  const rds = new Map(translateRoutes(resources).map((rc) => [rc.name, rc.virtual_hosts[0]?.routes ?? []]));
  const routers = routersByHost(resources);

  const listeners: EnvoyListener[] = [];
  const thriftRoutes: NonNullable<EnvoyResources["thriftRoutes"]> = [];
  const dubboRoutes: NonNullable<EnvoyResources["dubboRoutes"]> = [];
  for (const s of services) {
    const svc: RoutedService = { ...s, kind: "meta" };
    const name = routeConfigName(svc.host, svc.port.number);
    const address = bindAddress(name, { address: listenAddress(svc.serviceEntry.spec.addresses), port: svc.port.number }, options);
    if (!address) continue;
    // The RDS translation keeps the MetaRouter's routes that route somewhere, in order.
    const sources = routers.get(svc.host)?.spec.routes.filter((r) => r.route.length > 0) ?? [];
    const routes = (rds.get(name) ?? []).map((r, i) => ({ source: sources[i], action: r.route }));
    if (svc.applicationProtocol === "thrift") {
      listeners.push(thriftListener(svc, name, address));
      thriftRoutes.push(thriftRouteConfiguration(name, routes));
    } else {
      listeners.push(dubboListener(svc, name, address));
      dubboRoutes.push(dubboRouteConfiguration(name, routes));
    }
  }

  const redis = translateRedis(resources);
  for (const l of redis.listeners) {
    const socket = l.address?.socket_address;
    const address = bindAddress(l.name, { address: socket?.address ?? "0.0.0.0", port: socket?.port_value ?? 0 }, options);
    if (address) listeners.push({ ...l, address: { socket_address: { address: address.address, port_value: address.port } } });
  }

  const visibility = hostVisibility(resources);
  const routed = new Set(services.map((s) => s.host));
  const keep = (clusterName: string) => routed.has(clusterName.split("|")[3] ?? "");
  const { clusters, endpoints } = withDnsClusters(
    [...translateClusters(resources).filter((c) => keep(c.name)), ...redis.clusters],
    [...translateEndpoints(resources).filter((e) => keep(e.cluster_name)), ...redis.endpoints],
  );
  return {
    clusters,
    endpoints,
    listeners,
    routes: [],
    thriftRoutes,
    dubboRoutes,
    ...(visibility && { visibility }),
  };
}
