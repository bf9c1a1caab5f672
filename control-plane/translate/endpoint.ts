/** ServiceEntry endpoints → one ClusterLoadAssignment per cluster; subsets select by labels. */
import type { Resource } from "../resources/kinds.ts";
import type { WorkloadEntry } from "../resources/service-entry.ts";
import { subsetsFor } from "./cluster.ts";
import type { EnvoyClusterLoadAssignment } from "./envoy-types.ts";
import { outboundClusterName, routedServices, type RoutedService } from "./meta-protocol-services.ts";
import { perService } from "./service-memo.ts";

export function matchesLabels(endpoint: WorkloadEntry, labels: Record<string, string>): boolean {
  return Object.entries(labels).every(([k, v]) => endpoint.labels[k] === v);
}

/**
 * Istio's endpoint identity, `<workload>;<namespace>;<app>;<version>;<cluster>`, from the
 * endpoint's labels: `app` (else the ServiceEntry's name) and `version` (else "latest", Istio's
 * default canonical revision); the workload is `<app>-<version>` when a version is labelled.
 */
function istioWorkload(e: WorkloadEntry, svc: RoutedService): string {
  const app = e.labels.app ?? e.labels["service.istio.io/canonical-name"] ?? svc.serviceEntry.metadata.name;
  const version = e.labels.version ?? e.labels["service.istio.io/canonical-revision"];
  return `${version !== undefined ? `${app}-${version}` : app};${svc.serviceEntry.metadata.namespace};${app};${version ?? "latest"};Kubernetes`;
}

function assignment(name: string, svc: RoutedService, labels: Record<string, string>): EnvoyClusterLoadAssignment {
  const { spec } = svc.serviceEntry;
  let addresses: Array<{ address: string; port: number; workload?: string }>;
  if (spec.endpoints.length > 0) {
    addresses = spec.endpoints
      .filter((e) => matchesLabels(e, labels))
      .map((e) => ({ address: e.address, port: e.ports[svc.port.name] ?? svc.port.targetPort ?? svc.port.number, workload: istioWorkload(e, svc) }));
  } else if (spec.resolution === "DNS" || spec.resolution === "DNS_ROUND_ROBIN") {
    // Without explicit endpoints a DNS ServiceEntry resolves its own host name.
    addresses = Object.keys(labels).length === 0 ? [{ address: svc.host, port: svc.port.targetPort ?? svc.port.number }] : [];
  } else addresses = [];
  return {
    cluster_name: name,
    endpoints:
      addresses.length === 0
        ? []
        : [
            {
              lb_endpoints: addresses.map((a) => ({
                endpoint: { address: { socket_address: { address: a.address, port_value: a.port } } },
                ...(a.workload !== undefined && { metadata: { filter_metadata: { istio: { workload: a.workload } } } }),
              })),
              // gRPC ignores localities without a weight.
              ...(svc.kind === "grpc" && { locality: {}, load_balancing_weight: { value: 1 } }),
            },
          ],
  };
}

export function translateEndpoints(resources: readonly Resource[]): EnvoyClusterLoadAssignment[] {
  const out: EnvoyClusterLoadAssignment[] = [];
  for (const svc of routedServices(resources)) {
    const assignments = perService(resources, svc, "endpoints", () => [
      assignment(outboundClusterName(svc.port.number, "", svc.host), svc, {}),
      ...subsetsFor(resources, svc.host).map((subset) => assignment(outboundClusterName(svc.port.number, subset.name, svc.host), svc, subset.labels)),
    ]);
    out.push(...assignments);
  }
  return out;
}
