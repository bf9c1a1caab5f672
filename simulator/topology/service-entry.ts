import { isIP } from "node:net";
import { serviceHost } from "./names.ts";

/**
 * The ServiceEntry the simulator writes for a service: its endpoints, TCP ports, labelled as
 * generated. Endpoints named by host name (containers' aliases) make it a DNS entry, as Istio
 * wants; addresses, a STATIC one.
 */
export function generatedServiceEntry(
  s: { name: string; namespace: string },
  ports: ReadonlyArray<{ number: number; name: string }>,
  endpoints: ReadonlyArray<{ address: string; [field: string]: unknown }>,
): Record<string, unknown> {
  return {
    apiVersion: "networking.istio.io/v1beta1",
    kind: "ServiceEntry",
    metadata: { name: s.name, namespace: s.namespace, labels: { "meshsim.dev/generated": "true" } },
    spec: {
      hosts: [serviceHost(s)],
      location: "MESH_INTERNAL",
      resolution: endpoints.every((e) => isIP(e.address) !== 0) ? "STATIC" : "DNS",
      ports: ports.map((p) => ({ number: p.number, name: p.name, protocol: "TCP" })),
      endpoints,
    },
  };
}
