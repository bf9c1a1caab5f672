/**
 * Kubernetes Services → the ServiceEntries the rest of meshsim reads, the way Istio turns a
 * Service into a mesh service: host `<name>.<namespace>.svc.cluster.local`, the Service's ports
 * (named `tcp-metaprotocol-<protocol>-...` to be routed), and one endpoint per workload in the
 * same namespace whose pod labels the selector matches, carrying those labels for subsets. A
 * workload has no address outside a cluster: its name stands in for one. A ServiceEntry written
 * for the same host wins. Problems found here name the Service's own file:line, because the
 * entry's source maps its fields back onto the Service.
 */
import type { FieldPath } from "../../common/yaml-source.ts";
import type { Resource } from "./kinds.ts";
import type { KubernetesService, Workload } from "./kubernetes.ts";
import { resourceLabel, type ResourceSource } from "./resource.ts";
import type { ServiceEntry, WorkloadEntry } from "./service-entry.ts";

/** Set on entries made from a Service: `Service/<name>`, so that reports can name the Service. */
export const FROM_KUBERNETES_LABEL = "meshsim.dev/from";

export function kubernetesHost(svc: { metadata: { name: string; namespace: string } }): string {
  return `${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local`;
}

function isWorkload(r: Resource): r is Workload {
  return r.kind === "Deployment" || r.kind === "StatefulSet" || r.kind === "Pod";
}

/** The workloads a Service selects: same namespace, pod labels include the selector. */
export function selectedWorkloads(svc: KubernetesService, resources: readonly Resource[]): Workload[] {
  const selector = svc.spec.selector;
  if (!selector || Object.keys(selector).length === 0) return [];
  return resources.filter((r): r is Workload => isWorkload(r) && r.metadata.namespace === svc.metadata.namespace && Object.entries(selector).every(([k, v]) => r.spec.podLabels[k] === v));
}

/** Entry paths → the Service's own paths, so that a problem on the entry points into the Service. */
function serviceSource(svc: KubernetesService): ResourceSource {
  return {
    file: svc.source.file,
    locate(path: FieldPath) {
      if (path[0] === "spec" && path[1] === "hosts") return svc.source.locate(["metadata", "name"]);
      if (path[0] === "spec" && path[1] === "ports") return svc.source.locate(path.slice(0, 3));
      if (path[0] === "spec" && path[1] === "endpoints") return svc.source.locate(["spec", "selector"]);
      return svc.source.locate(path.slice(0, 2));
    },
  };
}

function serviceEntryFor(svc: KubernetesService, workloads: readonly Workload[]): ServiceEntry {
  const ports = svc.spec.ports.map((p) => ({ number: p.port, name: p.name, ...(p.protocol !== undefined && { protocol: p.protocol }) }));
  const endpoints: WorkloadEntry[] = workloads.map((w) => ({
    address: w.metadata.name,
    ports: Object.fromEntries(svc.spec.ports.map((p) => [p.name, typeof p.targetPort === "string" ? (w.spec.containerPorts[p.targetPort] ?? p.port) : (p.targetPort ?? p.port)])),
    labels: w.spec.podLabels,
  }));
  return {
    kind: "ServiceEntry",
    apiVersion: "networking.istio.io/v1",
    metadata: { name: svc.metadata.name, namespace: svc.metadata.namespace, labels: { [FROM_KUBERNETES_LABEL]: resourceLabel(svc) } },
    spec: { hosts: [kubernetesHost(svc)], addresses: [], ports, endpoints, resolution: "STATIC", location: "MESH_INTERNAL", exportTo: [] },
    source: serviceSource(svc),
  };
}

/** Per Service its ServiceEntry, with the workloads behind each endpoint (in endpoint order). */
export function kubernetesServiceEntries(resources: readonly Resource[]): Array<{ service: KubernetesService; entry: ServiceEntry; workloads: Workload[] }> {
  const written = new Set(resources.flatMap((r) => (r.kind === "ServiceEntry" ? r.spec.hosts : [])));
  return resources
    .filter((r): r is KubernetesService => r.kind === "Service" && !written.has(kubernetesHost(r)))
    .map((service) => {
      const workloads = selectedWorkloads(service, resources);
      return { service, entry: serviceEntryFor(service, workloads), workloads };
    });
}

const cache = new WeakMap<readonly Resource[], readonly Resource[]>();

/** `resources` plus a ServiceEntry per Kubernetes Service; the same array when there is none. */
export function withKubernetesServices(resources: readonly Resource[]): readonly Resource[] {
  if (!resources.some((r) => r.kind === "Service")) return resources;
  let out = cache.get(resources);
  if (!out) {
    out = [...resources, ...kubernetesServiceEntries(resources).map((s) => s.entry)];
    cache.set(resources, out);
  }
  return out;
}
