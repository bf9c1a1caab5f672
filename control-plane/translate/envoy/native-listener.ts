import { TYPED_STRUCT_TYPE_URL, type EnvoyListener } from "../envoy-types.ts";
import { isKafkaPort } from "../kafka.ts";
import type { Resource } from "../../resources/kinds.ts";

/** An outbound listener with one of Envoy's network filters, configured as a TypedStruct. */
export function nativeListener(name: string, address: { address: string; port: number }, filter: string, typeUrl: string, value: Record<string, unknown>): EnvoyListener {
  return {
    name,
    address: { socket_address: { address: address.address, port_value: address.port } },
    traffic_direction: "OUTBOUND",
    filter_chains: [{ filters: [{ name: filter, typed_config: { "@type": TYPED_STRUCT_TYPE_URL, type_url: typeUrl, value } }] }],
  };
}

/** Hosts with a Kafka port: Envoy gets nothing for them (see unsupported.ts). */
export function kafkaHosts(resources: readonly Resource[]): Set<string> {
  const out = new Set<string>();
  for (const r of resources) if (r.kind === "ServiceEntry" && r.spec.ports.some(isKafkaPort)) for (const h of r.spec.hosts) out.add(h);
  return out;
}
