import { simulatorProtocol } from "../protocols/registry.ts";
import { destinationRuleFor, rateLimitServiceEntryFor, serviceEntryFor, serviceHost, type InstanceAddress, type TopologySpec } from "../topology/topology.ts";

/** Share of requests a run's sidecars trace: enough for a sampled trace in the report, cheap at load. */
export const DEFAULT_SAMPLING_PERCENTAGE = 10;

/**
 * Access logs and tracing on every sidecar listener, as a mesh-wide Istio Telemetry would turn
 * them on; a scenario that brings a Telemetry of its own decides instead.
 */
export const DEFAULT_TELEMETRY: Record<string, unknown> = {
  apiVersion: "telemetry.istio.io/v1",
  kind: "Telemetry",
  metadata: { name: "meshsim-observability", namespace: "istio-system" },
  spec: { accessLogging: [{ providers: [{ name: "envoy" }] }], tracing: [{ randomSamplingPercentage: DEFAULT_SAMPLING_PERCENTAGE }] },
};

/**
 * What the simulator tells the control plane about a topology it brought up: a ServiceEntry per
 * service with `endpoints` (the addresses sidecars dial), a DestinationRule with one subset per
 * version unless the scenario brings its own, what a service's protocol adds (a RedisDestination),
 * one for the rate-limit service when the topology has it, and, with `defaultAccessLogs`, access
 * logs on (DEFAULT_TELEMETRY).
 */
export function topologyResources(
  spec: TopologySpec,
  endpoints: ReadonlyArray<InstanceAddress>,
  ownDestinationRules?: ReadonlySet<string>,
  rateLimitService?: { host: string; port: number },
  defaultAccessLogs = false,
): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = defaultAccessLogs ? [DEFAULT_TELEMETRY] : [];
  if (spec.rateLimitService && rateLimitService) out.push(rateLimitServiceEntryFor(spec.rateLimitService, rateLimitService));
  for (const service of spec.services) {
    out.push(serviceEntryFor(service, endpoints));
    if (!ownDestinationRules?.has(serviceHost(service))) out.push(destinationRuleFor(service));
    out.push(...(simulatorProtocol(service.protocol).deployment?.resources?.(service) ?? []));
  }
  return out;
}
