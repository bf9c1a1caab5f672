/**
 * MetaProtocol host:port → an outbound listener with Aeraki's MetaProtocol proxy filter,
 * configured as a TypedStruct (so that proxies without Aeraki's protos can read it) and
 * taking its routes from RDS over ADS.
 */
import type { Resource } from "../resources/kinds.ts";
import {
  META_PROTOCOL_PROXY_FILTER,
  META_PROTOCOL_PROXY_TYPE_URL,
  TYPED_STRUCT_TYPE_URL,
  type EnvoyListener,
} from "./envoy-types.ts";
import { metaProtocolServices, routeConfigName } from "./meta-protocol-services.ts";

function codecName(resources: readonly Resource[], app: string): string {
  for (const r of resources) if (r.kind === "ApplicationProtocol" && r.spec.protocol === app) return r.spec.codec;
  return `aeraki.meta_protocol.codec.${app}`;
}

function listenAddress(addresses: readonly string[]): string {
  const first = addresses[0];
  return first ? first.replace(/\/\d+$/, "") : "0.0.0.0";
}

export function translateListeners(resources: readonly Resource[]): EnvoyListener[] {
  return metaProtocolServices(resources).map((svc) => {
    const name = routeConfigName(svc.host, svc.port.number);
    return {
      name,
      address: { socket_address: { address: listenAddress(svc.serviceEntry.spec.addresses), port_value: svc.port.number } },
      traffic_direction: "OUTBOUND",
      filter_chains: [
        {
          filters: [
            {
              name: META_PROTOCOL_PROXY_FILTER,
              typed_config: {
                "@type": TYPED_STRUCT_TYPE_URL,
                type_url: META_PROTOCOL_PROXY_TYPE_URL,
                value: {
                  stat_prefix: `outbound|${svc.port.number}||${svc.host}`,
                  application_protocol: svc.applicationProtocol,
                  codec: { name: codecName(resources, svc.applicationProtocol) },
                  rds: { route_config_name: name, config_source: { ads: {} } },
                },
              },
            },
          ],
        },
      ],
    };
  });
}
