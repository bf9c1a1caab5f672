import type { Scenario } from "./scenario/types.ts";
import type { TopologySpec } from "./topology/topology.ts";

/** The scenario's topology in the shape the runtime backends take. */
export function toTopologySpec(scenario: Scenario): TopologySpec {
  return {
    services: scenario.topology.services.map((s) => ({
      name: s.name,
      namespace: s.namespace,
      protocol: s.protocol,
      port: s.port,
      versions: s.versions,
      ...(s.transport !== undefined ? { transport: s.transport } : {}),
      ...(s.protocolVariant !== undefined ? { wireProtocol: s.protocolVariant } : {}),
      ...(s.redis !== undefined ? { redis: s.redis } : {}),
      ...(s.kafka !== undefined ? { kafka: s.kafka } : {}),
    })),
    clients: scenario.topology.clients.map((c) => ({ name: c.name, protocol: c.protocol, sidecar: c.sidecar })),
  };
}
