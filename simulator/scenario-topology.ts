import type { DataPlane, Scenario } from "./scenario/types.ts";
import type { TopologySpec } from "./topology/topology.ts";

/** The data plane of each client's sidecar: its own choice, else the run's, else the scenario's, else meshsim. */
export function clientDataPlane(scenario: Scenario, client: { dataPlane?: DataPlane }, runDataPlane?: DataPlane): DataPlane {
  return client.dataPlane ?? runDataPlane ?? scenario.topology.dataPlane ?? "meshsim";
}

/** The scenario's topology in the shape the runtime backends take; `dataPlane` is the run's choice (`--data-plane`). */
export function toTopologySpec(scenario: Scenario, dataPlane?: DataPlane): TopologySpec {
  return {
    services: scenario.topology.services.map((s) => ({
      name: s.name,
      namespace: s.namespace,
      protocol: s.protocol,
      port: s.port,
      versions: s.versions,
      ...(s.transport !== undefined ? { transport: s.transport } : {}),
      ...(s.protocolVariant !== undefined ? { protocolVariant: s.protocolVariant } : {}),
      ...(s.redis !== undefined ? { redis: s.redis } : {}),
      ...(s.kafka !== undefined ? { kafka: s.kafka } : {}),
      ...(s.dubbo !== undefined ? { dubbo: s.dubbo } : {}),
    })),
    clients: scenario.topology.clients.map((c) => ({ name: c.name, protocol: c.protocol, sidecar: c.sidecar, dataPlane: clientDataPlane(scenario, c, dataPlane) })),
    ...(scenario.topology.rateLimitService !== undefined && { rateLimitService: (({ name, namespace, port, config }) => ({ name, namespace, port, config }))(scenario.topology.rateLimitService) }),
  };
}
