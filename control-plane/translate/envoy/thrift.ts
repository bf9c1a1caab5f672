/**
 * A Thrift host:port → Envoy's thrift_proxy: a listener whose filter fetches its routes by name
 * over ADS (`trds`), so a MetaRouter change swaps routes on open connections without touching
 * the listener, and a thrift_proxy RouteConfiguration of the same name.
 *
 * MetaRouter attributes map to RouteMatch: `method` (and `service`, for TMultiplexedProtocol,
 * whose method names read `service:method`) to method_name / service_name, exact only; every
 * other attribute to a header matcher, which thrift_proxy applies to THeader headers. Routes send
 * to a cluster or weighted_clusters and mirror with request_mirror_policies. What thrift_proxy
 * lacks is listed by unsupported.ts and left out here.
 */
import type { MetaRoute, StringMatch } from "../../resources/meta-router.ts";
import type { RoutedService } from "../meta-protocol-services.ts";
import { headerMatchers } from "../route.ts";
import { clusterSpecifier } from "./cluster-specifier.ts";
import type { EnvoyListener, EnvoyRouteAction } from "../envoy-types.ts";
import { nativeListener } from "./native-listener.ts";

export const THRIFT_PROXY_FILTER = "envoy.filters.network.thrift_proxy";
export const THRIFT_PROXY_TYPE_URL = "type.googleapis.com/envoy.extensions.filters.network.thrift_proxy.v3.ThriftProxy";

function exactValue(m: StringMatch | undefined): string | undefined {
  return m && "exact" in m ? m.exact : undefined;
}

/** thrift_proxy's RouteMatch for a MetaRouter match (empty method name: any method). */
function routeMatch(route: MetaRoute): Record<string, unknown> {
  const { method, service, ...rest } = route.match?.attributes ?? {};
  const methodName = exactValue(method);
  const serviceName = exactValue(service);
  const headers = headerMatchers(rest);
  const specifier =
    serviceName !== undefined && methodName !== undefined && methodName !== ""
      ? { method_name: `${serviceName}:${methodName}` }
      : serviceName !== undefined && serviceName !== ""
        ? { service_name: serviceName }
        : { method_name: methodName ?? "" };
  return { ...specifier, ...(headers.length > 0 && { headers }) };
}

/** The route configuration thrift_proxy fetches over `trds`, from routes translated for RDS. */
export function thriftRouteConfiguration(name: string, routes: ReadonlyArray<{ source: MetaRoute | undefined; action: EnvoyRouteAction }>): { name: string } & Record<string, unknown> {
  return {
    name,
    routes: routes.map(({ source, action }) => ({
      match: source ? routeMatch(source) : { method_name: "" },
      route: {
        ...clusterSpecifier(action),
        ...(action.request_mirror_policies && {
          // thrift_proxy mirrors every request unless the fraction has a runtime key; an unset key
          // falls back to the default fraction, which is the MetaRouter's mirrorPercentage.
          request_mirror_policies: action.request_mirror_policies.map((m) => ({
            cluster: m.cluster,
            runtime_fraction: { ...m.runtime_fraction, runtime_key: `meshsim.mirror.${name}.${source?.name ?? "route"}` },
          })),
        }),
      },
    })),
  };
}

export function thriftListener(svc: RoutedService, name: string, address: { address: string; port: number }): EnvoyListener {
  return nativeListener(name, address, THRIFT_PROXY_FILTER, THRIFT_PROXY_TYPE_URL, {
    stat_prefix: `outbound|${svc.port.number}||${svc.host}`,
    transport: "AUTO_TRANSPORT",
    protocol: "AUTO_PROTOCOL",
    trds: { route_config_name: name, config_source: { ads: {}, resource_api_version: "V3" } },
  });
}
