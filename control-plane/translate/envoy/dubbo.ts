/**
 * A Dubbo host:port → Envoy's dubbo_proxy: a listener whose filter fetches its routes over ADS
 * (`drds`, a MultipleRouteConfiguration), so route changes reach open connections.
 *
 * dubbo_proxy tries its route configurations in order and, inside one, its routes in order; each
 * configuration first matches the interface (exact, or with a leading/trailing '*'), the service
 * version and group. meshsim gives every MetaRouter route a configuration of its own, which
 * keeps the MetaRouter's order exactly: `interface` → the configuration's interface ("*" when
 * absent), `method` → MethodMatch.name (exact, prefix or regex), every other attribute → a
 * header matcher on the attachments. dubbo_proxy has no mirror, timeout, retry, fault or
 * mutation: unsupported.ts lists those.
 *
 * Why dubbo_proxy rather than generic_proxy with its Dubbo codec: both route to clusters or
 * weighted clusters and neither mirrors, but dubbo_proxy matches attachments and method names
 * with prefix/regex directly, which is what MetaRouter attributes are; generic_proxy's matcher
 * tree would carry the same with more translation and no additional resource coverage.
 */
import type { MetaRoute, StringMatch } from "../../resources/meta-router.ts";
import type { RoutedService } from "../meta-protocol-services.ts";
import { headerMatchers } from "../route.ts";
import { clusterSpecifier } from "./cluster-specifier.ts";
import type { EnvoyListener, EnvoyRouteAction } from "../envoy-types.ts";
import { nativeListener } from "./native-listener.ts";

export const DUBBO_PROXY_FILTER = "envoy.filters.network.dubbo_proxy";
export const DUBBO_PROXY_TYPE_URL = "type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy";

function stringMatcher(m: StringMatch | undefined): Record<string, unknown> {
  if (!m) return { safe_regex: { regex: ".*" } };
  if ("exact" in m) return m.exact === "" ? { safe_regex: { regex: ".+" } } : { exact: m.exact };
  if ("prefix" in m) return m.prefix === "" ? { safe_regex: { regex: ".*" } } : { prefix: m.prefix };
  return { safe_regex: { regex: m.regex } };
}

function interfaceOf(m: StringMatch | undefined): string {
  if (!m) return "*";
  if ("exact" in m) return m.exact === "" ? "*" : m.exact;
  if ("prefix" in m) return `${m.prefix}*`;
  return "*"; // regex: reported unsupported
}

export function dubboRouteConfiguration(name: string, routes: ReadonlyArray<{ source: MetaRoute | undefined; action: EnvoyRouteAction }>): { name: string } & Record<string, unknown> {
  return {
    name,
    route_config: routes.map(({ source, action }, i) => {
      const { interface: iface, method, version, ...rest } = source?.match?.attributes ?? {};
      const headers = headerMatchers(rest);
      const versionValue = version && "exact" in version ? version.exact : undefined;
      return {
        name: `${name}/${source?.name ?? i}`,
        interface: interfaceOf(iface),
        ...(versionValue !== undefined && versionValue !== "" && { version: versionValue }),
        routes: [
          {
            match: { method: { name: stringMatcher(method) }, ...(headers.length > 0 && { headers }) },
            route: {
              ...clusterSpecifier(action),
            },
          },
        ],
      };
    }),
  };
}

export function dubboListener(svc: RoutedService, name: string, address: { address: string; port: number }): EnvoyListener {
  return nativeListener(name, address, DUBBO_PROXY_FILTER, DUBBO_PROXY_TYPE_URL, {
    stat_prefix: `outbound|${svc.port.number}||${svc.host}`,
    protocol_type: "Dubbo",
    serialization_type: "Hessian2",
    drds: { route_config_name: name, config_source: { ads: {}, resource_api_version: "V3" } },
  });
}
