/**
 * Kubernetes objects as Aeraki sees them in a cluster: a `Service` is a host
 * (`<name>.<namespace>.svc.cluster.local`) whose port names choose the protocol, and the workloads
 * it selects (Deployments and StatefulSets by their pod template, Pods by their own labels) are
 * its endpoints, whose labels DestinationRule subsets select. Only what meshsim needs is read.
 */
import type { FieldReader } from "./field-reader.ts";
import type { ResourceMetadata, TypedResource } from "./resource.ts";

export const SERVICE_API_VERSIONS = ["v1"] as const;
export const POD_API_VERSIONS = ["v1"] as const;
export const WORKLOAD_API_VERSIONS = ["apps/v1"] as const;

export interface KubernetesServicePort {
  name: string;
  port: number;
  /** A number, or the name of a container port. Absent: the same as `port`. */
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}

export interface KubernetesServiceSpec {
  ports: KubernetesServicePort[];
  /** Absent: the Service selects no pods (its endpoints are managed by hand). */
  selector?: Record<string, string>;
}

/** What a workload contributes: the labels of its pods and their named container ports. */
export interface WorkloadSpec {
  podLabels: Record<string, string>;
  containerPorts: Record<string, number>;
}

export type KubernetesService = TypedResource<"Service", KubernetesServiceSpec>;
export type Deployment = TypedResource<"Deployment", WorkloadSpec>;
export type StatefulSet = TypedResource<"StatefulSet", WorkloadSpec>;
export type Pod = TypedResource<"Pod", WorkloadSpec>;
export type Workload = Deployment | StatefulSet | Pod;

export function parseKubernetesServiceSpec(spec: Record<string, unknown>, r: FieldReader): KubernetesServiceSpec {
  const ports: KubernetesServicePort[] = [];
  (r.array(spec.ports, ["spec", "ports"], false) ?? []).forEach((raw, i) => {
    const path = ["spec", "ports", i];
    const p = r.object(raw, path, true);
    if (!p) return;
    const port = r.integer(p.port, [...path, "port"], true, 1, 65535);
    // Kubernetes allows one unnamed port; Aeraki needs the name to choose the protocol.
    const name = r.string(p.name, [...path, "name"], false) ?? "";
    const targetPort = typeof p.targetPort === "string" ? r.string(p.targetPort, [...path, "targetPort"], false) : r.integer(p.targetPort, [...path, "targetPort"], false, 1, 65535);
    const protocol = r.string(p.protocol, [...path, "protocol"], false);
    const appProtocol = r.string(p.appProtocol, [...path, "appProtocol"], false);
    if (port === undefined) return;
    ports.push({ name, port, ...(targetPort !== undefined && { targetPort }), ...(protocol !== undefined && { protocol }), ...(appProtocol !== undefined && { appProtocol }) });
  });
  const selector = spec.selector === undefined ? undefined : r.stringMap(spec.selector, ["spec", "selector"]);
  return { ports, ...(selector && { selector }) };
}

function containerPorts(podSpec: Record<string, unknown> | undefined, path: (string | number)[], r: FieldReader): Record<string, number> {
  const out: Record<string, number> = {};
  (r.array(podSpec?.containers, [...path, "containers"], false) ?? []).forEach((raw, i) => {
    const c = r.object(raw, [...path, "containers", i], true);
    (r.array(c?.ports, [...path, "containers", i, "ports"], false) ?? []).forEach((rawPort, j) => {
      const pp = [...path, "containers", i, "ports", j];
      const p = r.object(rawPort, pp, true);
      const name = r.string(p?.name, [...pp, "name"], false);
      const number = r.integer(p?.containerPort, [...pp, "containerPort"], true, 1, 65535);
      if (name !== undefined && number !== undefined) out[name] = number;
    });
  });
  return out;
}

/** Deployment and StatefulSet: the pod template's labels and ports. */
export function parseWorkloadSpec(spec: Record<string, unknown>, r: FieldReader): WorkloadSpec {
  const template = r.object(spec.template, ["spec", "template"], true);
  const meta = r.object(template?.metadata, ["spec", "template", "metadata"], false);
  const podLabels = r.stringMap(meta?.labels, ["spec", "template", "metadata", "labels"]);
  const podSpec = r.object(template?.spec, ["spec", "template", "spec"], false);
  return { podLabels, containerPorts: containerPorts(podSpec, ["spec", "template", "spec"], r) };
}

export function parsePodSpec(spec: Record<string, unknown>, r: FieldReader, metadata: ResourceMetadata): WorkloadSpec {
  return { podLabels: metadata.labels, containerPorts: containerPorts(spec, ["spec"], r) };
}
